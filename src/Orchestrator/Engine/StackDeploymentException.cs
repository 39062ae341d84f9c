namespace Appliance.Orchestrator.Engine;

/// <summary>`up` failed at <see cref="Step"/> (for <see cref="Service"/>); what the attempt had created was rolled back.</summary>
public sealed class StackDeploymentException : EngineException
{
    public StackDeploymentException(string stack, string? service, EngineStep step, string reason, IReadOnlyList<string> rollbackFailures, Exception? inner = null)
        : base($"stack '{stack}' did not come up: {step}{(service is null ? "" : $" of service '{service}'")} failed: {reason}"
               + (rollbackFailures.Count == 0 ? "; everything this attempt created was removed again"
                   : "; rolling back also failed:\n  " + string.Join("\n  ", rollbackFailures)), inner)
    {
        Stack = stack;
        Service = service;
        Step = step;
        Reason = reason;
        RollbackFailures = rollbackFailures;
    }

    public string Stack { get; }

    public string? Service { get; }

    public EngineStep Step { get; }

    public string Reason { get; }

    public IReadOnlyList<string> RollbackFailures { get; }
}
