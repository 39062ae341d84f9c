using System.Runtime.CompilerServices;
using Appliance.Orchestrator.Runtime;

namespace Appliance.Orchestrator.Engine;

public sealed partial class StackEngine
{
    /// <summary>Stops one service's container (its <c>stop_signal</c>, its <c>stop_grace_period</c>, then SIGKILL) and keeps it,
    /// as <c>docker compose stop</c> does: it can be started again as it was.</summary>
    public async Task StopServiceAsync(string stack, string service, CancellationToken cancellationToken = default)
    {
        DeployedService s = Find(stack, service);
        await _runtime.StopAsync(s.ContainerId, TimeSpan.FromSeconds(s.StopGraceSeconds), s.StopSignal, cancellationToken);
    }

    /// <summary>Stops every service of the stack, dependents first (each as <see cref="StopServiceAsync"/>); containers, network
    /// and rules stay.</summary>
    public async Task StopAsync(string stack, CancellationToken cancellationToken = default)
    {
        DeployedStack deployed = DeployedStack.Load(_options, stack) ?? throw new StackNotFoundException(stack);
        foreach (IReadOnlyList<DeployedService> level in ReverseLevels(deployed.Services))
        {
            await Task.WhenAll(level.Select(s => _runtime.StopAsync(s.ContainerId, TimeSpan.FromSeconds(s.StopGraceSeconds), s.StopSignal, cancellationToken)));
        }
    }

    /// <summary>Stops the service's container if it runs (as <see cref="StopServiceAsync"/>) and runs it again from the same bundle.</summary>
    public async Task RestartServiceAsync(string stack, string service, CancellationToken cancellationToken = default)
    {
        DeployedService s = Find(stack, service);
        await _runtime.RestartAsync(s.ContainerId, TimeSpan.FromSeconds(s.StopGraceSeconds), s.StopSignal, cancellationToken);
    }

    /// <summary>Stacks in which a container's process exited, from now on until cancelled (the runtime's exit watch, no polling).
    /// A null stack means exits may have been missed: look at every stack.</summary>
    public async IAsyncEnumerable<string?> WatchExitsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (string? id in _runtime.WatchExitsAsync(cancellationToken))
        {
            if (id is null)
            {
                yield return null;
                continue;
            }
            if (DeployedStack.LoadAll(_options).FirstOrDefault(d => d.Services.Any(s => s.ContainerId == id)) is { } owner)
            {
                yield return owner.Name;
            }
        }
    }

    private DeployedService Find(string stack, string service)
    {
        DeployedStack deployed = DeployedStack.Load(_options, stack) ?? throw new StackNotFoundException(stack);
        return deployed.Services.FirstOrDefault(x => x.Name == service) ?? throw new StackNotFoundException(stack, service);
    }
}
