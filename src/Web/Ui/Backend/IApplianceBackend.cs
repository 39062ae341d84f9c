namespace Appliance.Web.Ui.Backend;

/// <summary>
/// What the UI and the REST API need from the daemon (engine, state, health, firewall). The daemon registers
/// an adapter to its services before calling <c>AddApplianceUi</c>; without one, <see cref="DisconnectedBackend"/>
/// answers with honest empty state and says the engine is not there.
/// </summary>
public interface IApplianceBackend
{
    /// <summary>False when no engine is connected: pages show that instead of data.</summary>
    bool IsConnected { get; }

    Task<IReadOnlyList<StackView>> ListStacksAsync(CancellationToken cancellationToken = default);

    Task<StackView?> GetStackAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Changes as they happen (after the caller took its snapshot); ends when cancelled.</summary>
    IAsyncEnumerable<ApplianceEvent> WatchAsync(CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ApplianceEvent>> RecentEventsAsync(string? stack, int max, CancellationToken cancellationToken = default);

    /// <summary>The logs as kept now (rotated files included), or their last <paramref name="tail"/> lines; ends there.</summary>
    IAsyncEnumerable<LogLine> ReadLogsAsync(string stack, string? service, int? tail, CancellationToken cancellationToken = default);

    /// <summary>The tail of the logs, then new lines as they are written.</summary>
    IAsyncEnumerable<LogLine> FollowLogsAsync(string stack, string? service, int tail, CancellationToken cancellationToken = default);

    /// <summary>Deploys (or updates) a stack from compose text with the given parameters.</summary>
    Task<OperationResult> DeployAsync(string name, string stackYaml, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default);

    /// <summary>"start", "stop", "restart", "check-updates" (newer images in the registry?), "update" or "remove".</summary>
    Task<OperationResult> RunAsync(string stack, string operation, bool removeVolumes, CancellationToken cancellationToken = default);

    /// <summary>"start", "stop" or "restart" of one service; a stop is remembered until a start.</summary>
    Task<OperationResult> RunServiceAsync(string stack, string service, string operation, CancellationToken cancellationToken = default);

    /// <summary>Changes who can reach a published port; returns the pending change to confirm.</summary>
    Task<OperationResult> SetExposureAsync(string stack, string service, int hostPort, string protocol, Exposure exposure, CancellationToken cancellationToken = default);

    /// <summary>The firewall changes applied and waiting for their confirm, whoever made them, soonest deadline first.</summary>
    Task<IReadOnlyList<PendingChange>> PendingChangesAsync(CancellationToken cancellationToken = default);

    Task<OperationResult> ConfirmChangeAsync(string changeId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<int>> UsedHostPortsAsync(CancellationToken cancellationToken = default);

    Task<FirewallView> GetFirewallAsync(CancellationToken cancellationToken = default);

    Task<FlowExplanation> ExplainAsync(FlowQuery flow, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ScheduleView>> ListSchedulesAsync(CancellationToken cancellationToken = default);

    Task<IReadOnlyList<HealthView>> ListHealthAsync(CancellationToken cancellationToken = default);

    Task<NetworkSettings> GetSettingsAsync(CancellationToken cancellationToken = default);

    Task<OperationResult> SaveSettingsAsync(NetworkSettings settings, CancellationToken cancellationToken = default);
}
