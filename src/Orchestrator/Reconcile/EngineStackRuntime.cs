using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Runtime;
using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.Stacks.Resolved;

namespace Appliance.Orchestrator.Reconcile;

/// <summary>
/// <see cref="IStackRuntime"/> over the engine (<see cref="StackEngine"/>: runc + conmon, netlink, IPAM, firewall).
/// `up` of a stack that is already up leaves it alone when every service of the wanted deployment runs; otherwise
/// it takes the stack down (volumes kept) and brings the wanted deployment up — whole-stack recreation, not yet
/// per-service convergence. Restarting a service restarts its one container from the same bundle. All idempotent,
/// as the plans need.
/// </summary>
/// <param name="stateDir">The daemon's state dir: stack files are loaded as if they lived there (env_file, bind mounts).</param>
public sealed class EngineStackRuntime(StackEngine engine, string stateDir) : IStackRuntime
{
    public Task<IReadOnlyList<string>> ListStacksAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(engine.ListStacks());

    public Task<StackObservation> InspectAsync(string stack, CancellationToken cancellationToken = default) =>
        InspectAsync(stack, services: null, cancellationToken);

    public async Task<StackObservation> InspectAsync(string stack, IReadOnlyCollection<string>? services, CancellationToken cancellationToken = default)
    {
        try
        {
            IReadOnlyList<ServiceStatus> rows = await engine.PsAsync(stack, services, cancellationToken);
            return new StackObservation(stack, [.. rows.Select(r => new ObservedService(r.Service, Map(r), r.ContainerId, r.ExitCode, r.StartedAt, r.Address))]);
        }
        catch (StackNotFoundException)
        {
            return new StackObservation(stack, []);
        }
    }

    public async Task UpAsync(StackDeployment deployment, CancellationToken cancellationToken = default, IReadOnlySet<string>? leaveStopped = null)
    {
        StackLoadResult loaded = StackLoader.LoadFromText(deployment.StackFile, StackFiles.PathOf(stateDir, deployment.Stack), deployment.Parameters);
        if (loaded.Stack is not ResolvedStack stack)
        {
            throw new InvalidOperationException($"the stack file of '{deployment.Stack}' version {deployment.Version} does not load: " +
                string.Join("; ", loaded.Errors.Take(3).Select(e => e.ToString())));
        }
        stack = stack.Name == deployment.Stack ? stack : stack with { Name = deployment.Stack };
        if (engine.ListStacks().Contains(stack.Name, StringComparer.Ordinal))
        {
            StackObservation observed = await InspectAsync(stack.Name, cancellationToken);
            bool sameDeployment = observed.Services.Select(s => s.Service).Order(StringComparer.Ordinal)
                    .SequenceEqual(stack.Services.Select(s => s.Name).Order(StringComparer.Ordinal))
                && AppliedVersion(stack.Name) == Fingerprint(deployment, await engine.ImageIdsAsync(stack, cancellationToken));
            if (sameDeployment && observed.AllRunning)
            {
                return;
            }
            // The same deployment with some services down or missing: only those are brought back, what runs is left alone
            // (after a reboot, with the bridge gone, it takes the whole stack).
            if (sameDeployment && await engine.ConvergeAsync(stack, leaveStopped, cancellationToken: cancellationToken))
            {
                return;
            }
            // Changed, or half-made: recreated in place, with the same subnet and container addresses (the firewall's rules and
            // clients rely on them).
            await engine.DownAsync(stack.Name, removeVolumes: false, keepAddresses: true, cancellationToken: cancellationToken);
        }
        // The marker says "this deployment was brought up whole" (bridge, rules, containers): gone while `up` runs, so an `up`
        // the process died in is never taken for a finished one that only lost containers.
        ForgetApplied(stack.Name);
        await engine.UpAsync(stack, cancellationToken: cancellationToken);
        string marker = AppliedPath(stack.Name);
        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        await File.WriteAllTextAsync(marker, Fingerprint(deployment, await engine.ImageIdsAsync(stack, cancellationToken)), cancellationToken);
    }

    private void ForgetApplied(string stack)
    {
        if (File.Exists(AppliedPath(stack)))
        {
            File.Delete(AppliedPath(stack));
        }
    }

    // What runs is recorded next to the stack file (STATE_DIR/stacks/NAME/applied): an update to a new deployment with the
    // same services is not "unchanged" just because everything runs.
    private string AppliedPath(string stack) => Path.Combine(Path.GetDirectoryName(StackFiles.PathOf(stateDir, stack))!, "applied");

    private string? AppliedVersion(string stack) => File.Exists(AppliedPath(stack)) ? File.ReadAllText(AppliedPath(stack)) : null;

    /// <summary>The stack file, its parameters and the images its tags name: a change of any makes `up` recreate the stack.</summary>
    private static string Fingerprint(StackDeployment deployment, string imageIds) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
        System.Text.Encoding.UTF8.GetBytes(deployment.StackFile + "\0" + string.Join("\0", deployment.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => p.Key + "=" + p.Value)) + "\0" + imageIds)));

    public async Task DownAsync(string stack, bool removeVolumes, CancellationToken cancellationToken = default)
    {
        ForgetApplied(stack);
        try
        {
            await engine.DownAsync(stack, removeVolumes, cancellationToken: cancellationToken);
        }
        catch (StackNotFoundException)
        {
            // already gone: down is idempotent
        }
    }

    public Task RestartServiceAsync(string stack, string service, CancellationToken cancellationToken = default) =>
        engine.RestartServiceAsync(stack, service, cancellationToken);

    public Task StopServiceAsync(string stack, string service, CancellationToken cancellationToken = default) =>
        engine.StopServiceAsync(stack, service, cancellationToken);

    public Task StopAsync(string stack, CancellationToken cancellationToken = default) => engine.StopAsync(stack, cancellationToken);

    public IAsyncEnumerable<string?> WatchExitsAsync(CancellationToken cancellationToken = default) => engine.WatchExitsAsync(cancellationToken);

    public async Task<ExecResult> ExecAsync(string stack, string service, IReadOnlyList<string> argv, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        Runtime.ExecResult result = await engine.ExecAsync(stack, service, argv, timeout, cancellationToken);
        string output = (result.Stdout + result.Stderr).Trim();
        return new ExecResult(result.TimedOut ? 124 : result.ExitCode, result.TimedOut ? $"timed out after {timeout.TotalSeconds:0} s. {output}" : output);
    }

    private static ContainerState Map(ServiceStatus row) => row.Status switch
    {
        ContainerStatus.Running or ContainerStatus.Paused => ContainerState.Running,
        ContainerStatus.Created or ContainerStatus.Creating => ContainerState.Created,
        ContainerStatus.Stopped when row.ExitCode is null => ContainerState.Missing,
        _ => ContainerState.Exited,
    };
}
