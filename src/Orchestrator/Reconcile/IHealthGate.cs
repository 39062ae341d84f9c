namespace Appliance.Orchestrator.Reconcile;

/// <summary>Tells the deploy's verify step whether the stack's health checks pass (the health monitor implements it).</summary>
public interface IHealthGate
{
    /// <summary>Null when every service with a health check is healthy; else what is still waited for, e.g. "gitlab is starting".</summary>
    Task<string?> CheckAsync(StackDeployment deployment, StackObservation observation, CancellationToken cancellationToken = default);
}
