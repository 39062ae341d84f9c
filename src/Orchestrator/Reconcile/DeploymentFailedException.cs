namespace Appliance.Orchestrator.Reconcile;

/// <summary>A deployment step failed (the plan rolls back); says which step of which stack and why.</summary>
public sealed class DeploymentFailedException(string stack, string step, string message, Exception? inner = null)
    : Exception($"deploy of '{stack}' failed at step '{step}': {message}", inner)
{
    public string Stack { get; } = stack;

    public string Step { get; } = step;
}
