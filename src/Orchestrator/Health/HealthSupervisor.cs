using System.Collections.Concurrent;
using Appliance.Orchestrator.Reconcile;
using Appliance.Orchestrator.State;

namespace Appliance.Orchestrator.Health;

/// <summary>
/// Runs one service's health check and acts on it: probe the running container, feed the result to the
/// <see cref="HealthMonitor"/>, ask autoheal (with the live state of the service's <c>depends_on</c>), and restart the
/// container when autoheal says so (under the stack's lock, and never a service a user stopped meanwhile). Called by
/// <see cref="HealthCheckJob"/> at the check's interval.
/// </summary>
public sealed class HealthSupervisor(IStackRuntime runtime, IHealthProbe probe, HealthMonitor monitor, StackRepository? stacks = null, StackLocks? locks = null)
{
    private readonly StackLocks _locks = locks ?? new StackLocks();

    private readonly ConcurrentDictionary<string, StackModel> _models = new(StringComparer.Ordinal);

    public HealthMonitor Monitor => monitor;

    public IReadOnlyCollection<StackModel> Tracked => [.. _models.Values];

    /// <summary>Supervises <paramref name="model"/>; a new version of a stack starts its services' health over (its containers are new).</summary>
    public void Track(StackModel model)
    {
        StackModel? before = _models.GetValueOrDefault(model.Name);
        _models[model.Name] = model;
        if (before is not null && before.Version != model.Version)
        {
            foreach (ServiceModel service in model.Services)
            {
                monitor.Started(model.Name, service.Name, monitor.Now, service.HealthCheck is not null);
            }
        }
    }

    public void Untrack(string stack)
    {
        _models.TryRemove(stack, out _);
        monitor.Forget(stack);
    }

    /// <summary>One check of one service; null when there is nothing to check (no health check, not tracked, not running).</summary>
    public async Task<AutohealDecision?> CheckAsync(string stack, string service, CancellationToken cancellationToken = default)
    {
        if (!_models.TryGetValue(stack, out StackModel? model) || model.Service(service) is not { HealthCheck: { } spec } definition)
        {
            return null;
        }
        // Only this service and its dependencies, every check (on runc, read from runc's files while they run: no process).
        StackObservation observed = await runtime.InspectAsync(stack, [service, .. definition.DependsOn], cancellationToken);
        ObservedService? container = observed.Services.FirstOrDefault(s => s.Service == service);
        if (container is not { State: ContainerState.Running })
        {
            return null; // restart policies and the reconciler deal with containers that are not running
        }
        ServiceHealthSnapshot? known = monitor.Get(stack, service);
        DateTimeOffset startedAt = container.StartedAt ?? monitor.Now;
        if (known is null || (container.StartedAt is not null && known.Health.ContainerStartedAt != startedAt))
        {
            monitor.Started(stack, service, startedAt, hasCheck: true);
        }
        ProbeResult result = await probe.RunAsync(stack, container, spec, cancellationToken);
        if (!_models.TryGetValue(stack, out StackModel? now) || now.Version != model.Version)
        {
            // The stack was updated or removed while this check of its old definition ran: the result says nothing about
            // the new deployment (whose containers it may even have probed) and must not make it count as healthy.
            return null;
        }
        await monitor.RecordAsync(stack, service, spec, result, cancellationToken);

        DependencyHealth[] dependencies = [.. definition.DependsOn.Select(name =>
        {
            ObservedService? dependency = observed.Services.FirstOrDefault(s => s.Service == name);
            bool running = dependency?.State == ContainerState.Running;
            HealthStatus health = monitor.Get(stack, name)?.Health.Status
                ?? (model.Service(name)?.HealthCheck is null ? HealthStatus.None : HealthStatus.Starting);
            return new DependencyHealth(name, running, health);
        })];
        AutohealDecision decision = await monitor.DecideAutohealAsync(stack, service, dependencies, definition.Autoheal, cancellationToken);
        if (decision.Action == AutohealAction.Restart)
        {
            using IDisposable held = await _locks.AcquireAsync(stack, cancellationToken);
            if (stacks is not null && (await stacks.GetStackAsync(stack, cancellationToken) is not { DesiredState: "running" }
                || (await stacks.StoppedServicesAsync(stack, cancellationToken)).Contains(service)))
            {
                return decision with { Action = AutohealAction.None, Reason = "a user stopped it meanwhile; not restarted" };
            }
            await runtime.RestartServiceAsync(stack, service, cancellationToken);
            monitor.Started(stack, service, monitor.Now, hasCheck: true);
        }
        return decision;
    }
}
