namespace Appliance.Orchestrator.Reconcile;

/// <summary>
/// What the daemon needs from the engine (runc/conmon, networking, firewall), stack by stack. The engine adapter
/// implements it; tests use an in-memory fake. Every method is idempotent, so a plan step interrupted by a crash
/// can simply run again.
/// </summary>
public interface IStackRuntime
{
    /// <summary>Names of the stacks that have anything on the box (containers, bridge) carrying Appliance's prefix.</summary>
    Task<IReadOnlyList<string>> ListStacksAsync(CancellationToken cancellationToken = default);

    Task<StackObservation> InspectAsync(string stack, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="InspectAsync(string, CancellationToken)"/>, for only <paramref name="services"/> of the stack (a health
    /// check looks at its service and what that depends on, at every check).</summary>
    async Task<StackObservation> InspectAsync(string stack, IReadOnlyCollection<string> services, CancellationToken cancellationToken = default)
    {
        StackObservation all = await InspectAsync(stack, cancellationToken);
        return all with { Services = [.. all.Services.Where(s => services.Contains(s.Service))] };
    }

    /// <summary>Converges the stack to <paramref name="deployment"/> like <c>compose up</c>: creates what is missing, recreates
    /// services whose definition changed, removes services no longer defined, leaves the rest running untouched. Volumes stay.</summary>
    /// <param name="leaveStopped">Services that a user stopped: when their container exists it is not started.</param>
    Task UpAsync(StackDeployment deployment, CancellationToken cancellationToken = default, IReadOnlySet<string>? leaveStopped = null);

    /// <summary>Stops and removes the stack's containers, network and rules; volumes only if <paramref name="removeVolumes"/>.</summary>
    Task DownAsync(string stack, bool removeVolumes, CancellationToken cancellationToken = default);

    /// <summary>Stops (if it runs) and runs again the service's container, with the service's stop_signal and stop_grace_period.</summary>
    Task RestartServiceAsync(string stack, string service, CancellationToken cancellationToken = default);

    /// <summary>Stops the service's container (stop_signal, stop_grace_period, SIGKILL) and keeps it; stopped already is fine.</summary>
    Task StopServiceAsync(string stack, string service, CancellationToken cancellationToken = default);

    /// <summary>Stops every service of the stack, dependents first; containers, network and rules stay.</summary>
    Task StopAsync(string stack, CancellationToken cancellationToken = default);

    /// <summary>Names of stacks in which a container exited, as it happens, until cancelled; null means "maybe any": look at all.</summary>
    IAsyncEnumerable<string?> WatchExitsAsync(CancellationToken cancellationToken = default);

    Task<ExecResult> ExecAsync(string stack, string service, IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken = default);
}
