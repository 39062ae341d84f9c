using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Runtime;

namespace Appliance.Orchestrator.Engine;

public sealed partial class StackEngine
{
    /// <summary>
    /// Takes a stack down in reverse dependency order: each container stopped (its stop_signal, its
    /// stop_grace_period, SIGKILL) and removed with its rootfs, veth and namespace; then the bridge and the
    /// stack's addresses (unless <paramref name="keepAddresses"/>: the stack is about to be brought up again and keeps
    /// its subnet and container addresses); volumes only with <paramref name="removeVolumes"/>. Keeps going after a
    /// failure and throws one <see cref="StackTeardownException"/> listing all of them.
    /// </summary>
    public async Task DownAsync(string name, bool removeVolumes = false, IProgress<EngineEvent>? progress = null, bool keepAddresses = false,
        CancellationToken cancellationToken = default)
    {
        DeployedStack deployed = DeployedStack.Load(_options, name) ?? throw new StackNotFoundException(name);
        var failures = new List<string>();
        async Task Try(string? service, EngineStep step, string what, Func<Task> work)
        {
            Publish(progress, name, service, step, what);
            try
            {
                await work();
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failures.Add($"{(service is null ? "" : service + ": ")}{step} {what}: {e.Message}");
                Publish(progress, name, service, step, e.Message, failed: true);
            }
        }

        StackNetwork? network = null;
        await Try(null, EngineStep.RemoveNetwork, "find bridge", async () => network = await _network.FindStackNetworkAsync(name, cancellationToken));

        foreach (IReadOnlyList<DeployedService> level in ReverseLevels(deployed.Services))
        {
            await Task.WhenAll(level.Select(async service =>
            {
                string id = service.ContainerId;
                await Try(service.Name, EngineStep.StopContainer, id, async () =>
                {
                    if (await _runtime.InspectAsync(id, cancellationToken) is not null)
                    {
                        await _runtime.StopAsync(id, TimeSpan.FromSeconds(service.StopGraceSeconds), service.StopSignal, cancellationToken);
                    }
                });
                await RemoveServicePartsAsync(id, service.Name, network, (step, what, work) => Try(service.Name, step, what, work), cancellationToken);
            }));
        }

        await Try(null, EngineStep.RemoveNetwork, "bridge", () => _network.RemoveStackNetworkAsync(name, cancellationToken));
        if (_firewall is { } firewall)
        {
            await Try(null, EngineStep.RemoveFirewall, "firewall rules", () => firewall.CloseAsync(name, cancellationToken));
        }
        if (!keepAddresses)
        {
            await Try(null, EngineStep.RemoveNetwork, "addresses", () => ReleaseSubnetAsync(name));
        }
        if (removeVolumes)
        {
            foreach (string volume in deployed.Volumes)
            {
                await Try(null, EngineStep.RemoveVolume, volume, () =>
                {
                    string dir = Path.Combine(_options.VolumesDirectory, volume);
                    if (Directory.Exists(dir))
                    {
                        Directory.Delete(dir, recursive: true);
                    }
                    return Task.CompletedTask;
                });
            }
        }
        if (failures.Count > 0)
        {
            // The record stays, so `down` can be run again to finish the job.
            throw new StackTeardownException(name, failures);
        }
        DeployedStack.Delete(_options, name);
        Publish(progress, name, null, EngineStep.StackDown, "removed");
    }

    /// <summary>What a service's container is made of, removed by name: the container, its rootfs, its veth on the bridge (when
    /// there is one) and its network namespace; <paramref name="step"/> runs (and reports) each part.</summary>
    private async Task RemoveServicePartsAsync(string id, string service, StackNetwork? network, Func<EngineStep, string, Func<Task>, Task> step,
        CancellationToken cancellationToken)
    {
        await step(EngineStep.RemoveContainer, id, () => _runtime.RemoveAsync(id, cancellationToken));
        await step(EngineStep.RemoveContainer, "rootfs", async () =>
        {
            string dir = RootfsDir(id);
            await _images.RemoveRootfsAsync(dir, cancellationToken);
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        });
        if (network is not null)
        {
            await step(EngineStep.RemoveNetwork, "veth", () => _network.DetachContainerAsync(network, service, cancellationToken));
        }
        await step(EngineStep.RemoveNetwork, "network namespace", () => NetworkNamespaceFile.RemoveAsync(NetnsPath(id), cancellationToken));
    }

    /// <summary>Services grouped so that each group only depends on later groups: dependents go first.</summary>
    private static IEnumerable<IReadOnlyList<DeployedService>> ReverseLevels(IReadOnlyList<DeployedService> services)
    {
        var remaining = services.ToList();
        while (remaining.Count > 0)
        {
            // Those no remaining service depends on.
            var level = remaining.Where(s => !remaining.Any(o => o.DependsOn.Contains(s.Name))).ToList();
            if (level.Count == 0)
            {
                level = remaining.ToList(); // a cycle (the parser rejects them): take the rest together
            }
            yield return level;
            remaining.RemoveAll(level.Contains);
        }
    }
}
