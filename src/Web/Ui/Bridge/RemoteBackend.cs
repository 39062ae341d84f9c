using System.Runtime.CompilerServices;
using Appliance.Web.Hosting;
using Appliance.Web.Ui.Backend;

namespace Appliance.Web.Ui.Bridge;

/// <summary>
/// The UI process's <see cref="IApplianceBackend"/>: each call is one request to the daemon's UI bridge
/// (<see cref="UiBridgeApi"/>), which answers from the daemon's own backend. Queries throw a
/// <see cref="DaemonBridgeException"/> when the daemon cannot be reached; operations answer a failed
/// <see cref="OperationResult"/> saying so. The live streams end only when cancelled: the daemon ending one
/// (it stops or restarts) is a <see cref="DaemonUnreachableException"/>, which the live pages show.
/// </summary>
public sealed partial class RemoteBackend(DaemonBridgeClient daemon, ILogger<RemoteBackend> logger) : IApplianceBackend
{
    private const int Unknown = -1;
    private int _connected = Unknown;
    private int _asking;

    /// <summary>
    /// Whether the daemon has an engine. Asked once: the UI host awaits <see cref="InitializeAsync"/> at start (AddDaemonBridge
    /// registers a hosted service for it); an engine is chosen when the daemon starts and stays for its life, which is
    /// longer than its UI process's. Until known (the daemon did not answer at start), this is false and a read asks again
    /// in the background, so a later render shows the answer; it never blocks a page on the socket.
    /// </summary>
    public bool IsConnected
    {
        get
        {
            int known = Volatile.Read(ref _connected);
            if (known == Unknown && Interlocked.Exchange(ref _asking, 1) == 0)
            {
                _ = AskConnectedAsync();
            }
            return known == 1;
        }
    }

    /// <summary>Learns <see cref="IsConnected"/> from the daemon; throws a <see cref="DaemonBridgeException"/> when it does not answer.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        BridgeFlag engine = await daemon.GetAsync<BridgeFlag>("/connected", cancellationToken);
        Volatile.Write(ref _connected, engine.Value ? 1 : 0);
    }

    public Task<IReadOnlyList<StackView>> ListStacksAsync(CancellationToken cancellationToken = default) =>
        daemon.GetAsync<IReadOnlyList<StackView>>("/stacks", cancellationToken);

    public Task<StackView?> GetStackAsync(string name, CancellationToken cancellationToken = default) =>
        daemon.FindAsync<StackView>(DaemonBridgeClient.WithQuery("/stack", ("name", name)), cancellationToken);

    public async IAsyncEnumerable<ApplianceEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (ApplianceEvent e in daemon.StreamAsync<ApplianceEvent>("/watch", cancellationToken))
        {
            yield return e;
        }
        throw Ended("the live events", cancellationToken);
    }

    public Task<IReadOnlyList<ApplianceEvent>> RecentEventsAsync(string? stack, int max, CancellationToken cancellationToken = default) =>
        daemon.GetAsync<IReadOnlyList<ApplianceEvent>>(
            DaemonBridgeClient.WithQuery("/events", ("stack", stack), ("max", max.ToString(System.Globalization.CultureInfo.InvariantCulture))), cancellationToken);

    public IAsyncEnumerable<LogLine> ReadLogsAsync(string stack, string? service, int? tail, CancellationToken cancellationToken = default) =>
        daemon.StreamAsync<LogLine>(DaemonBridgeClient.WithQuery("/logs", ("stack", stack), ("service", service),
            ("tail", tail?.ToString(System.Globalization.CultureInfo.InvariantCulture))), cancellationToken);

    public async IAsyncEnumerable<LogLine> FollowLogsAsync(string stack, string? service, int tail, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string path = DaemonBridgeClient.WithQuery("/logs/follow", ("stack", stack), ("service", service),
            ("tail", tail.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await foreach (LogLine line in daemon.StreamAsync<LogLine>(path, cancellationToken))
        {
            yield return line;
        }
        throw Ended($"the logs of '{stack}'", cancellationToken);
    }

    public Task<OperationResult> DeployAsync(string name, string stackYaml, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default) =>
        OperateAsync(HttpMethod.Put, "/stacks", new BridgeDeployRequest(name, stackYaml, new Dictionary<string, string>(parameters)), cancellationToken);

    public Task<OperationResult> RunAsync(string stack, string operation, bool removeVolumes, CancellationToken cancellationToken = default) =>
        OperateAsync(HttpMethod.Post, "/stacks/run", new BridgeStackOperation(stack, operation, removeVolumes), cancellationToken);

    public Task<OperationResult> RunServiceAsync(string stack, string service, string operation, CancellationToken cancellationToken = default) =>
        OperateAsync(HttpMethod.Post, "/services/run", new BridgeServiceOperation(stack, service, operation), cancellationToken);

    public Task<OperationResult> SetExposureAsync(string stack, string service, int hostPort, string protocol, Exposure exposure, CancellationToken cancellationToken = default) =>
        OperateAsync(HttpMethod.Post, "/exposure", new BridgeExposureChange(stack, service, hostPort, protocol, exposure), cancellationToken);

    public Task<IReadOnlyList<PendingChange>> PendingChangesAsync(CancellationToken cancellationToken = default) =>
        daemon.GetAsync<IReadOnlyList<PendingChange>>("/firewall/pending", cancellationToken);

    public Task<OperationResult> ConfirmChangeAsync(string changeId, CancellationToken cancellationToken = default) =>
        OperateAsync(HttpMethod.Post, "/firewall/confirm", new BridgeConfirmRequest(changeId), cancellationToken);

    public Task<IReadOnlyList<int>> UsedHostPortsAsync(CancellationToken cancellationToken = default) =>
        daemon.GetAsync<IReadOnlyList<int>>("/ports/used", cancellationToken);

    public Task<FirewallView> GetFirewallAsync(CancellationToken cancellationToken = default) =>
        daemon.GetAsync<FirewallView>("/firewall", cancellationToken);

    public Task<FlowExplanation> ExplainAsync(FlowQuery flow, CancellationToken cancellationToken = default) =>
        daemon.SendAsync<FlowQuery, FlowExplanation>(HttpMethod.Post, "/firewall/explain", flow, cancellationToken);

    public Task<IReadOnlyList<ScheduleView>> ListSchedulesAsync(CancellationToken cancellationToken = default) =>
        daemon.GetAsync<IReadOnlyList<ScheduleView>>("/schedules", cancellationToken);

    public Task<IReadOnlyList<HealthView>> ListHealthAsync(CancellationToken cancellationToken = default) =>
        daemon.GetAsync<IReadOnlyList<HealthView>>("/health", cancellationToken);

    public Task<NetworkSettings> GetSettingsAsync(CancellationToken cancellationToken = default) =>
        daemon.GetAsync<NetworkSettings>("/settings", cancellationToken);

    public Task<OperationResult> SaveSettingsAsync(NetworkSettings settings, CancellationToken cancellationToken = default) =>
        OperateAsync(HttpMethod.Put, "/settings", settings, cancellationToken);

    /// <summary>The daemon's answer to an operation; a daemon that does not answer is a failed one that says so.</summary>
    private async Task<OperationResult> OperateAsync<TBody>(HttpMethod method, string path, TBody body, CancellationToken cancellationToken)
    {
        try
        {
            return await daemon.SendAsync<TBody, OperationResult>(method, path, body, cancellationToken);
        }
        catch (DaemonBridgeException e)
        {
            return OperationResult.Fail(e.Message);
        }
    }

    /// <summary>Why a stream that ends only when cancelled ended: cancelled, or the daemon ended it (it stops), which the page shows.</summary>
    private Exception Ended(string what, CancellationToken cancellationToken) => cancellationToken.IsCancellationRequested
        ? new OperationCanceledException(cancellationToken)
        : new DaemonUnreachableException(daemon.SocketPath, $"it ended {what}: it is stopping or restarting");

    private async Task AskConnectedAsync()
    {
        try
        {
            await InitializeAsync();
        }
        catch (DaemonBridgeException e)
        {
            LogEngineUnknown(logger, e.Message);
        }
        finally
        {
            Volatile.Write(ref _asking, 0);
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Whether the daemon has an engine is not known yet; pages say it has none until it answers: {Reason}")]
    internal static partial void LogEngineUnknown(ILogger logger, string reason);
}
