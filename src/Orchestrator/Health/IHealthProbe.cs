using Appliance.Orchestrator.Reconcile;

namespace Appliance.Orchestrator.Health;

/// <summary>Runs one health check of a running container. Never throws for a failing check: that is a failed <see cref="ProbeResult"/>.</summary>
public interface IHealthProbe
{
    Task<ProbeResult> RunAsync(string stack, ObservedService container, HealthCheckSpec spec, CancellationToken cancellationToken = default);
}
