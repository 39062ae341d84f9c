using Appliance.Orchestrator.Reconcile;
using Appliance.Orchestrator.Runtime;
using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.Stacks.Resolved;

namespace Appliance.Orchestrator.Engine;

/// <summary>
/// The daemon's <see cref="IStackRuntime"/> seam on the real <see cref="StackEngine"/>. `up` of a
/// stack that is already up leaves it alone when it was deployed from the same file and every
/// service runs; otherwise it takes it down (volumes kept) and brings it up again — whole-stack
/// recreation, not yet per-service convergence.
/// </summary>
public sealed class EngineStackRuntime(StackEngine engine, IContainerRuntime runtime) : IStackRuntime
{
    public Task<IReadOnlyList<string>> ListStacksAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(engine.ListStacks());

    public async Task<StackObservation> InspectAsync(string stack, CancellationToken cancellationToken = default)
    {
        if (!engine.ListStacks().Contains(stack))
        {
            return new StackObservation(stack, []);
        }
        IReadOnlyList<ServiceStatus> rows = await engine.PsAsync(stack, cancellationToken);
        return new StackObservation(stack, rows.Select(r => new ObservedService(r.Service, Map(r.Status), r.ContainerId, r.ExitCode, null, r.Address)).ToList());
    }

    private static Reconcile.ContainerState Map(ContainerStatus status) => status switch
    {
        ContainerStatus.Running or ContainerStatus.Paused => Reconcile.ContainerState.Running,
        ContainerStatus.Created or ContainerStatus.Creating => Reconcile.ContainerState.Created,
        _ => Reconcile.ContainerState.Exited,
    };

    public async Task UpAsync(StackDeployment deployment, CancellationToken cancellationToken = default)
    {
        StackLoadResult loaded = StackLoader.Load(deployment.StackFile, deployment.Parameters);
        if (loaded.HasErrors || loaded.Stack is null)
        {
            throw new InvalidOperationException($"stack file '{deployment.StackFile}' has errors:\n  " + string.Join("\n  ", loaded.Errors));
        }
        ResolvedStack stack = loaded.Stack.Name == deployment.Stack ? loaded.Stack : loaded.Stack with { Name = deployment.Stack };
        if (engine.ListStacks().Contains(stack.Name))
        {
            StackObservation observed = await InspectAsync(stack.Name, cancellationToken);
            bool same = observed.AllRunning
                && observed.Services.Select(s => s.Service).Order().SequenceEqual(stack.Services.Select(s => s.Name).Order());
            if (same)
            {
                return;
            }
            await engine.DownAsync(stack.Name, removeVolumes: false, cancellationToken: cancellationToken);
        }
        await engine.UpAsync(stack, cancellationToken: cancellationToken);
    }

    public async Task DownAsync(string stack, bool removeVolumes, CancellationToken cancellationToken = default)
    {
        if (engine.ListStacks().Contains(stack))
        {
            await engine.DownAsync(stack, removeVolumes, cancellationToken: cancellationToken);
        }
    }

    public async Task RestartServiceAsync(string stack, string service, CancellationToken cancellationToken = default)
    {
        ServiceStatus row = (await engine.PsAsync(stack, cancellationToken)).FirstOrDefault(r => r.Service == service)
            ?? throw new StackNotFoundException(stack, service);
        await runtime.RestartAsync(row.ContainerId, TimeSpan.FromSeconds(10), cancellationToken);
    }

    public async Task<Reconcile.ExecResult> ExecAsync(string stack, string service, IReadOnlyList<string> argv, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        Runtime.ExecResult result = await engine.ExecAsync(stack, service, argv, timeout, cancellationToken);
        return new Reconcile.ExecResult(result.TimedOut ? -1 : result.ExitCode, result.Stdout + result.Stderr);
    }
}
