using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Runtime;
using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.Stacks.Resolved;

namespace Appliance.Orchestrator.Reconcile;

/// <summary>
/// <see cref="IStackRuntime"/> over the engine (<see cref="StackEngine"/>: runc + conmon, netlink, IPAM). The engine brings
/// a stack up whole and refuses a stack that is already up, so converging (<see cref="UpAsync"/>) takes an existing stack
/// down first (volumes kept) and brings the wanted deployment up; restarting one service does the same for its stack until
/// the engine can recreate a single container. Both are idempotent, as the plans need.
/// </summary>
/// <param name="currentDeployment">The stack's current deployment (from the state database), for restarts.</param>
public sealed class EngineStackRuntime(StackEngine engine, string stateDir, Func<string, CancellationToken, Task<StackDeployment?>> currentDeployment) : IStackRuntime
{
    public Task<IReadOnlyList<string>> ListStacksAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(engine.ListStacks());

    public async Task<StackObservation> InspectAsync(string stack, CancellationToken cancellationToken = default)
    {
        try
        {
            IReadOnlyList<ServiceStatus> rows = await engine.PsAsync(stack, cancellationToken);
            return new StackObservation(stack, [.. rows.Select(r => new ObservedService(r.Service, Map(r), r.ContainerId, r.ExitCode, null, r.Address))]);
        }
        catch (StackNotFoundException)
        {
            return new StackObservation(stack, []);
        }
    }

    public async Task UpAsync(StackDeployment deployment, CancellationToken cancellationToken = default)
    {
        StackLoadResult loaded = StackLoader.LoadFromText(deployment.StackFile, StackFiles.PathOf(stateDir, deployment.Stack), deployment.Parameters);
        if (loaded.Stack is not ResolvedStack stack)
        {
            throw new InvalidOperationException($"the stack file of '{deployment.Stack}' version {deployment.Version} does not load: " +
                string.Join("; ", loaded.Errors.Take(3).Select(e => e.ToString())));
        }
        if (engine.ListStacks().Contains(deployment.Stack, StringComparer.Ordinal))
        {
            await engine.DownAsync(deployment.Stack, removeVolumes: false, cancellationToken: cancellationToken);
        }
        await engine.UpAsync(stack with { Name = deployment.Stack }, cancellationToken: cancellationToken);
    }

    public async Task DownAsync(string stack, bool removeVolumes, CancellationToken cancellationToken = default)
    {
        try
        {
            await engine.DownAsync(stack, removeVolumes, cancellationToken: cancellationToken);
        }
        catch (StackNotFoundException)
        {
            // already gone: down is idempotent
        }
    }

    public async Task RestartServiceAsync(string stack, string service, CancellationToken cancellationToken = default)
    {
        StackDeployment deployment = await currentDeployment(stack, cancellationToken)
            ?? throw new InvalidOperationException($"cannot restart '{stack}/{service}': the stack is not in Appliance's state");
        await UpAsync(deployment, cancellationToken);
    }

    public async Task<Reconcile.ExecResult> ExecAsync(string stack, string service, IReadOnlyList<string> argv, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        Runtime.ExecResult result = await engine.ExecAsync(stack, service, argv, timeout, cancellationToken);
        string output = (result.Stdout + result.Stderr).Trim();
        return new Reconcile.ExecResult(result.TimedOut ? 124 : result.ExitCode, result.TimedOut ? $"timed out after {timeout.TotalSeconds:0} s. {output}" : output);
    }

    private static Reconcile.ContainerState Map(ServiceStatus row) => row.Status switch
    {
        ContainerStatus.Running or ContainerStatus.Paused => Reconcile.ContainerState.Running,
        ContainerStatus.Created or ContainerStatus.Creating => Reconcile.ContainerState.Created,
        ContainerStatus.Stopped when row.ExitCode is null => Reconcile.ContainerState.Missing,
        _ => Reconcile.ContainerState.Exited,
    };
}
