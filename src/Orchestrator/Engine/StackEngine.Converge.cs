using Appliance.Orchestrator.Images;
using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Runtime;
using Appliance.Orchestrator.Stacks.Resolved;

namespace Appliance.Orchestrator.Engine;

public sealed partial class StackEngine
{
    /// <summary>
    /// Brings every service of a stack that is up back to running without touching the ones that run: a missing container (runc
    /// no longer knows it) is created again as <see cref="UpAsync"/> creates it — its leftovers removed first, then the same
    /// address on the same bridge and the same volumes — and a stopped one is started again from its bundle; dependencies first,
    /// each service once its depends_on conditions hold.
    /// Returns false, having changed nothing, when that is not possible: the stack is not up with these services, or its bridge
    /// or addresses are gone (after a reboot). Then it takes a whole <see cref="DownAsync"/> and <see cref="UpAsync"/>.
    /// </summary>
    /// <param name="leaveStopped">Services to leave stopped when their container exists (a user stopped them); a missing one is
    /// still created again.</param>
    /// <param name="broughtBack">Gets the names of the services started or created again.</param>
    public async Task<bool> ConvergeAsync(ResolvedStack stack, IReadOnlySet<string>? leaveStopped = null, List<string>? broughtBack = null,
        IProgress<EngineEvent>? progress = null, CancellationToken cancellationToken = default)
    {
        string name = stack.Name;
        if (DeployedStack.Load(_options, name) is not { } deployed
            || !deployed.Services.Select(s => s.Name).Order(StringComparer.Ordinal).SequenceEqual(stack.Services.Select(s => s.Name).Order(StringComparer.Ordinal)))
        {
            return false;
        }
        StackSubnet? subnet = IpamFile.Load(_options).Find(name);
        if (subnet is null || stack.Services.Any(s => !subnet.Addresses.ContainsKey(s.Name)))
        {
            return false;
        }
        if (await _network.FindStackNetworkAsync(name, cancellationToken) is not { } network)
        {
            return false;
        }
        IReadOnlyList<HostEntry> hosts = HostsOf(stack, subnet);
        var volumeLocks = stack.Volumes.ToDictionary(v => v.StorageName, _ => new SemaphoreSlim(1, 1), StringComparer.Ordinal);
        var gate = new Lock();
        // ReverseLevels lists dependents first; reversed, every service comes after what it depends on.
        foreach (IReadOnlyList<DeployedService> level in ReverseLevels(deployed.Services).Reverse())
        {
            await Task.WhenAll(level.Select(async record =>
            {
                ResolvedService service = stack.FindService(record.Name)!;
                ContainerState? state = await _runtime.InspectAsync(record.ContainerId, cancellationToken);
                if (state?.Status is ContainerStatus.Running or ContainerStatus.Paused)
                {
                    return; // running: untouched
                }
                bool exists = state is { Status: ContainerStatus.Stopped, ExitCode: not null };
                if (exists && leaveStopped?.Contains(service.Name) == true)
                {
                    return;
                }
                // As `up`: its depends_on conditions first (a dependency a user keeps stopped is not waited for).
                foreach (ResolvedDependency dependency in service.DependsOn)
                {
                    if (leaveStopped?.Contains(dependency.Service) == true || stack.FindService(dependency.Service) is not { } target)
                    {
                        continue;
                    }
                    Publish(progress, name, service.Name, EngineStep.WaitForDependency, $"waiting for '{target.Name}' ({ConditionText(dependency.Condition)})");
                    await WaitForConditionAsync(stack, target, dependency.Condition, Task.CompletedTask, cancellationToken);
                }
                if (exists)
                {
                    Publish(progress, name, service.Name, EngineStep.StartContainer, $"{record.ContainerId} (stopped: started again)");
                    await _runtime.RestartAsync(record.ContainerId, TimeSpan.FromSeconds(record.StopGraceSeconds), record.StopSignal, cancellationToken);
                }
                else
                {
                    await RecreateServiceAsync(stack, service, network, subnet, hosts, volumeLocks, progress, cancellationToken);
                }
                lock (gate)
                {
                    broughtBack?.Add(service.Name);
                }
            }));
        }
        return true;
    }

    /// <summary>Which image each of the stack's references names in the store now ("-" when none): part of what an `up` applied,
    /// so a tag pulled anew (Update images) makes the next deploy of the same file recreate the containers.</summary>
    public async Task<string> ImageIdsAsync(ResolvedStack stack, CancellationToken cancellationToken = default)
    {
        var ids = new List<string>();
        foreach (string reference in stack.Services.Select(s => s.Image).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            ids.Add(reference + "=" + ((await _images.FindAsync(reference, cancellationToken))?.Id ?? "-"));
        }
        return string.Join("\n", ids);
    }

    /// <summary>One missing service of an up stack: what is left of it removed by name, then created and started as `up` does;
    /// a failure removes what this attempt made and throws <see cref="StackDeploymentException"/>.</summary>
    private async Task RecreateServiceAsync(ResolvedStack stack, ResolvedService service, StackNetwork network, StackSubnet subnet,
        IReadOnlyList<HostEntry> hosts, IReadOnlyDictionary<string, SemaphoreSlim> volumeLocks, IProgress<EngineEvent>? progress,
        CancellationToken cancellationToken)
    {
        string name = stack.Name;
        string id = ContainerId(name, service.Name);
        Publish(progress, name, service.Name, EngineStep.RemoveContainer, $"{id}: leftovers of the missing container");
        await RemoveServicePartsAsync(id, service.Name, network, (_, _, work) => work(), cancellationToken);

        var undo = new UndoLog();
        try
        {
            Image image = await StepAsync(progress, name, service.Name, EngineStep.PullImage, service.Image, async () =>
                await _images.FindAsync(service.Image, cancellationToken) ?? await _images.PullAsync(service.Image, null, cancellationToken));
            await StartServiceAsync(stack, service, image, network, subnet.Addresses[service.Name], hosts, volumeLocks, undo, progress, cancellationToken);
        }
        catch (Exception e)
        {
            EngineStep step = e is StepFailure f ? f.Step : EngineStep.StartContainer;
            Exception cause = e is StepFailure ? e.InnerException! : e;
            Publish(progress, name, service.Name, step, cause.Message, failed: true);
            IReadOnlyList<string> rollbackFailures = await undo.RunAsync();
            if (cause is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            throw new StackDeploymentException(name, service.Name, step, cause.Message, rollbackFailures, cause);
        }
    }
}
