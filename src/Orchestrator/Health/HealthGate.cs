using Appliance.Orchestrator.Reconcile;

namespace Appliance.Orchestrator.Health;

/// <summary>
/// The deploy's verify step asks here whether the new deployment is healthy: it starts supervising the deployment (its
/// health checks are scheduled at once) and answers null once every service with a health check is healthy.
/// </summary>
public sealed class HealthGate(IStackModelReader models, SupervisionScheduler scheduler, HealthMonitor monitor) : IHealthGate
{
    public async Task<string?> CheckAsync(StackDeployment deployment, StackObservation observation, CancellationToken cancellationToken = default)
    {
        StackModel model = models.Read(deployment);
        await scheduler.AddOrUpdateAsync(model, cancellationToken);
        string[] waiting = [.. model.Services.Where(s => s.HealthCheck is not null)
            .Select(s => (s.Name, Status: Current(deployment.Stack, s.Name, observation)))
            .Where(s => s.Status != HealthStatus.Healthy)
            .Select(s => $"{s.Name} is {s.Status.ToWire()}")];
        return waiting.Length == 0 ? null : string.Join(", ", waiting);
    }

    /// <summary>The health of the container that runs now (a snapshot about an older container of the service does not count).</summary>
    private HealthStatus Current(string stack, string service, StackObservation observation)
    {
        ServiceHealthSnapshot? snapshot = monitor.Get(stack, service);
        DateTimeOffset? startedAt = observation.Services.FirstOrDefault(o => o.Service == service)?.StartedAt;
        return snapshot is null || (startedAt is not null && snapshot.Health.ContainerStartedAt != startedAt) ? HealthStatus.Starting : snapshot.Health.Status;
    }
}
