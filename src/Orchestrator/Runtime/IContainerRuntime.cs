namespace Appliance.Orchestrator.Runtime;

/// <summary>
/// Runs containers from OCI bundles. The runc implementation (<see cref="RuncRuntime"/>) keeps a
/// conmon monitor per container, so containers, their logs and exit codes outlive the Appliance
/// process; a new instance with the same <see cref="RuntimeOptions"/> finds them again.
/// </summary>
public interface IContainerRuntime
{
    /// <summary>Writes the bundle and creates the container (namespaces, mounts, cgroups); it does not run yet.</summary>
    Task<ContainerState> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken = default);

    /// <summary>Runs the process of a created container.</summary>
    Task StartAsync(string id, CancellationToken cancellationToken = default);

    /// <summary><paramref name="stopSignal"/> (SIGTERM when null), then SIGKILL once <paramref name="gracePeriod"/> has passed;
    /// returns when it is stopped.</summary>
    Task<ContainerState> StopAsync(string id, TimeSpan gracePeriod, string? stopSignal = null, CancellationToken cancellationToken = default);

    /// <summary>Stops it if it runs (as <see cref="StopAsync"/>), then runs it again from the same bundle; its log goes on.</summary>
    Task RestartAsync(string id, TimeSpan gracePeriod, string? stopSignal = null, CancellationToken cancellationToken = default);

    /// <summary>Ids of containers whose process exited, as their monitor records it, from now on until cancelled; no polling.
    /// A null id means exits may have been missed (the watch overflowed): look at every container.</summary>
    IAsyncEnumerable<string?> WatchExitsAsync(CancellationToken cancellationToken = default);

    /// <summary>Kills what still runs and removes the container, its monitor and its bundle (logs included). Missing is fine.</summary>
    Task RemoveAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The container's state, or null when there is no such container.</summary>
    Task<ContainerState?> InspectAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The states of <paramref name="ids"/>, in order (null for one that does not exist), with at most one call into
    /// the runtime however many they are.</summary>
    Task<IReadOnlyList<ContainerState?>> InspectAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken = default);

    /// <summary>Every container under this runtime's root.</summary>
    Task<IReadOnlyList<ContainerState>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Runs <paramref name="argv"/> inside a running container with its environment and user.</summary>
    Task<ExecResult> ExecAsync(string id, IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>The container's stdout/stderr lines; with <paramref name="follow"/>, keeps reading until it stops or cancellation.</summary>
    IAsyncEnumerable<LogLine> LogsAsync(string id, bool follow, int? tail = null, CancellationToken cancellationToken = default);

    /// <summary>Keeps the log file conmon just closed at max-size as the newest rotated one (at most max-file - 1 kept), one
    /// pass over every container. Returns how many containers' logs were rotated.</summary>
    int KeepRotatedLogs();

    /// <summary>Does what <see cref="KeepRotatedLogs"/> does each time a container's monitor starts a new log file, from now
    /// until cancelled; no polling.</summary>
    Task KeepRotatingLogsAsync(CancellationToken cancellationToken);
}
