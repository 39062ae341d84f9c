using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Appliance.Web.Ui.Backend;

namespace Appliance.Web.Tests.Support;

/// <summary>
/// A double of the daemon's backend for the bridge's plumbing: every method answers a known value (every field set, nulls and
/// non-nulls, every <see cref="Exposure"/>, text outside ASCII) and records its call with its arguments. The live streams
/// yield their items, then wait until cancelled and say so.
/// </summary>
public sealed class RecordingBackend : IApplianceBackend
{
    private static readonly DateTimeOffset T = new(2025, 3, 14, 15, 9, 26, TimeSpan.FromHours(2));

    public ConcurrentQueue<string> Calls { get; } = new();

    public TaskCompletionSource WatchCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource FollowCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When set, <see cref="GetFirewallAsync"/> throws this (a failure of the daemon's service).</summary>
    public Exception? FirewallFailure { get; set; }

    public bool IsConnected { get; set; } = true;

    public static StackView Stack { get; } = new("gitlab", "running",
        [
            new ServiceView("gitlab", "registry.local/gitlab:17", "running", "healthy", 2, "10.88.0.2"),
            new ServiceView("postgresql", "registry.local/postgres:16", "exited", "unhealthy", 0),
        ],
        [
            new PortView("gitlab", 8080, 80, "tcp", Exposure.Lan, ["192.168.50.0/24", "10.0.0.0/8"]),
            new PortView("gitlab", 10022, 22, "tcp", Exposure.Internet, []),
            new PortView("gitlab", 5353, 53, "udp", Exposure.HostOnly, [], "not enforced: the firewall backend is none"),
        ],
        T, ["registry.local/gitlab:18"], T.AddMinutes(-5));

    public static StackView BareStack { get; } = new("redis", "stopped", [], []);

    public static IReadOnlyList<ApplianceEvent> Events { get; } =
    [
        new(T, "deploy", "gitlab", null, "deployed version 3 — ünïcödé"),
        new(T.AddSeconds(1), "progress", "gitlab", "gitlab", "pull: 40%", 0.4),
        new(T.AddSeconds(2), "note", null, null, "replaced disk 2"),
    ];

    public static IReadOnlyList<LogLine> Logs { get; } =
    [
        new(T, "gitlab", "stdout", "Puma starting"),
        new(T.AddMilliseconds(1), "gitlab", "stderr", "warning: \"quoted\" \\ backslash\ttab"),
        new(T.AddMilliseconds(2), "gitlab", "stdout", ""),
    ];

    public static PendingChange Pending { get; } = new("c1", "gitlab:8080/tcp from LAN to internet", T.AddMinutes(2))
    {
        Port = new PendingPortChange("gitlab", 8080, "tcp", Exposure.Lan, Exposure.Internet),
    };

    public static PendingChange AdminPending { get; } = new("c2", "admin UI only from 192.168.50.0/24", T.AddMinutes(3));

    public static FirewallView Firewall { get; } = new("nftables", ["allow lan 192.168.50.0/24"], "table inet appliance { }",
        [new FirewallFinding("inet filter", "forward", "policy drop", "drops the stacks' traffic", "add meta mark & 0x100 == 0x100 accept")],
        [Pending, AdminPending]);

    public static FlowExplanation Explanation { get; } = new(true, "passes: published to the LAN", ["prerouting: dnat to 10.88.0.2:80", "forward: accept"]);

    public static IReadOnlyList<ScheduleView> Schedules { get; } =
    [
        new("gitlab", "gitlab", "nightly (restart)", "0 3 * * *", T, T.AddDays(1), "ok"),
        new("gitlab", null, "update-check (check)", "0 4 * * 0", null, null, null),
    ];

    public static IReadOnlyList<HealthView> Health { get; } =
    [
        new("gitlab", "gitlab", "healthy", "idle", [new HealthSample(T, "healthy", "ok"), new HealthSample(T.AddSeconds(-30), "starting", null)]),
    ];

    public static NetworkSettings Settings { get; } = new(["192.168.50.0/24"], ["192.168.50.7/32"], "nftables");

    public Task<IReadOnlyList<StackView>> ListStacksAsync(CancellationToken cancellationToken = default) =>
        Record("ListStacks", (IReadOnlyList<StackView>)[Stack, BareStack]);

    public Task<StackView?> GetStackAsync(string name, CancellationToken cancellationToken = default) =>
        Record($"GetStack({name})", name == Stack.Name ? Stack : null);

    public async IAsyncEnumerable<ApplianceEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Calls.Enqueue("Watch");
        foreach (ApplianceEvent e in Events)
        {
            yield return e;
        }
        await WaitUntilCancelledAsync(WatchCancelled, cancellationToken);
    }

    public Task<IReadOnlyList<ApplianceEvent>> RecentEventsAsync(string? stack, int max, CancellationToken cancellationToken = default) =>
        Record($"RecentEvents({stack ?? "null"},{max})", Events);

    public async IAsyncEnumerable<LogLine> ReadLogsAsync(string stack, string? service, int? tail, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Calls.Enqueue($"ReadLogs({stack},{service ?? "null"},{tail?.ToString() ?? "null"})");
        foreach (LogLine line in Logs)
        {
            await Task.Yield();
            yield return line;
        }
    }

    public async IAsyncEnumerable<LogLine> FollowLogsAsync(string stack, string? service, int tail, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Calls.Enqueue($"FollowLogs({stack},{service ?? "null"},{tail})");
        foreach (LogLine line in Logs)
        {
            yield return line;
        }
        await WaitUntilCancelledAsync(FollowCancelled, cancellationToken);
    }

    public Task<OperationResult> DeployAsync(string name, string stackYaml, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default) =>
        Record($"Deploy({name},{stackYaml},{string.Join(';', parameters.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"))})",
            OperationResult.Ok($"'{name}' deployed (version 4)."));

    /// <summary>"update" fails, as a registry that does not answer would make it: the failure must come back as it is.</summary>
    public Task<OperationResult> RunAsync(string stack, string operation, bool removeVolumes, CancellationToken cancellationToken = default) =>
        Record($"Run({stack},{operation},{removeVolumes})", operation == "update"
            ? OperationResult.Fail($"the registry of '{stack}' did not answer: connection refused")
            : OperationResult.Ok($"'{stack}' {operation} done."));

    public Task<OperationResult> RunServiceAsync(string stack, string service, string operation, CancellationToken cancellationToken = default) =>
        Record($"RunService({stack},{service},{operation})", OperationResult.Ok($"{service} {operation} done."));

    public Task<OperationResult> SetExposureAsync(string stack, string service, int hostPort, string protocol, Exposure exposure, CancellationToken cancellationToken = default) =>
        Record($"SetExposure({stack},{service},{hostPort},{protocol},{exposure})", OperationResult.Ok("Confirm within 2 minutes.", Pending));

    public Task<IReadOnlyList<PendingChange>> PendingChangesAsync(CancellationToken cancellationToken = default) =>
        Record("PendingChanges", (IReadOnlyList<PendingChange>)[Pending, AdminPending]);

    public Task<OperationResult> ConfirmChangeAsync(string changeId, CancellationToken cancellationToken = default) =>
        Record($"Confirm({changeId})", changeId == Pending.Id ? OperationResult.Ok("Confirmed.") : OperationResult.Fail($"No pending change '{changeId}'."));

    public Task<IReadOnlyList<int>> UsedHostPortsAsync(CancellationToken cancellationToken = default) =>
        Record("UsedHostPorts", (IReadOnlyList<int>)[22, 8080, 10022]);

    public Task<FirewallView> GetFirewallAsync(CancellationToken cancellationToken = default) =>
        FirewallFailure is { } failure ? Task.FromException<FirewallView>(failure) : Record("GetFirewall", Firewall);

    public Task<FlowExplanation> ExplainAsync(FlowQuery flow, CancellationToken cancellationToken = default) =>
        Record($"Explain({flow.Source},{flow.Destination},{flow.Protocol},{flow.Port})", Explanation);

    public Task<IReadOnlyList<ScheduleView>> ListSchedulesAsync(CancellationToken cancellationToken = default) => Record("ListSchedules", Schedules);

    public Task<IReadOnlyList<HealthView>> ListHealthAsync(CancellationToken cancellationToken = default) => Record("ListHealth", Health);

    public Task<NetworkSettings> GetSettingsAsync(CancellationToken cancellationToken = default) => Record("GetSettings", Settings);

    public Task<OperationResult> SaveSettingsAsync(NetworkSettings settings, CancellationToken cancellationToken = default) =>
        Record($"SaveSettings({string.Join(';', settings.LanSubnets)}|{string.Join(';', settings.AdminSources)}|{settings.FirewallBackend})",
            OperationResult.Ok("Saved."));

    private Task<TValue> Record<TValue>(string call, TValue value)
    {
        Calls.Enqueue(call);
        return Task.FromResult(value);
    }

    private static async Task WaitUntilCancelledAsync(TaskCompletionSource cancelled, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        finally
        {
            cancelled.TrySetResult();
        }
    }
}
