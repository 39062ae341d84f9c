using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Appliance.Web.Ui.Backend;

/// <summary>
/// The backend while the daemon has no engine registered: no stacks, no rules, and every operation answers
/// that the engine is missing. Network settings are kept in <c>STATE_DIR/network-settings.json</c> so the
/// admin's choices survive until the engine applies them.
/// </summary>
public sealed class DisconnectedBackend(IOptions<UiOptions> options) : IApplianceBackend
{
    private const string NoEngine = "The container engine is not connected to this daemon, so nothing can be deployed or changed yet.";
    private static readonly NetworkSettings Defaults = new(["192.168.0.0/16", "10.0.0.0/8", "172.16.0.0/12"], [], "nftables");
    private string SettingsPath => Path.Combine(options.Value.StateDir, "network-settings.json");

    public bool IsConnected => false;

    public Task<IReadOnlyList<StackView>> ListStacksAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<StackView>>([]);

    public Task<StackView?> GetStackAsync(string name, CancellationToken cancellationToken = default) => Task.FromResult<StackView?>(null);

    public async IAsyncEnumerable<ApplianceEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        yield break;
    }

    public Task<IReadOnlyList<ApplianceEvent>> RecentEventsAsync(string? stack, int max, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<ApplianceEvent>>([]);

    public IAsyncEnumerable<LogLine> ReadLogsAsync(string stack, string? service, int? tail, CancellationToken cancellationToken = default) =>
        AsyncEnumerable.Empty<LogLine>();

    public async IAsyncEnumerable<LogLine> FollowLogsAsync(string stack, string? service, int tail, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        yield break;
    }

    public Task<OperationResult> DeployAsync(string name, string stackYaml, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default) => Task.FromResult(OperationResult.Fail(NoEngine));

    public Task<OperationResult> RunAsync(string stack, string operation, bool removeVolumes, CancellationToken cancellationToken = default) => Task.FromResult(OperationResult.Fail(NoEngine));

    public Task<OperationResult> RunServiceAsync(string stack, string service, string operation, CancellationToken cancellationToken = default) =>
        Task.FromResult(OperationResult.Fail(NoEngine));

    public Task<OperationResult> SetExposureAsync(string stack, string service, int hostPort, string protocol, Exposure exposure, CancellationToken cancellationToken = default) => Task.FromResult(OperationResult.Fail(NoEngine));

    public Task<IReadOnlyList<PendingChange>> PendingChangesAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<PendingChange>>([]);

    public Task<OperationResult> ConfirmChangeAsync(string changeId, CancellationToken cancellationToken = default) => Task.FromResult(OperationResult.Fail($"No pending change '{changeId}'."));

    public Task<IReadOnlyList<int>> UsedHostPortsAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<int>>([]);

    public Task<FirewallView> GetFirewallAsync(CancellationToken cancellationToken = default)
        => Task.FromResult(new FirewallView("none", [], "", [], []));

    public Task<FlowExplanation> ExplainAsync(FlowQuery flow, CancellationToken cancellationToken = default)
        => Task.FromResult(new FlowExplanation(false, "Cannot explain: no firewall backend is connected to this daemon.", []));

    public Task<IReadOnlyList<ScheduleView>> ListSchedulesAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<ScheduleView>>([]);

    public Task<IReadOnlyList<HealthView>> ListHealthAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<HealthView>>([]);

    public async Task<NetworkSettings> GetSettingsAsync(CancellationToken cancellationToken = default)
    {
        if (!File.Exists(SettingsPath))
        {
            return Defaults;
        }
        await using FileStream stream = File.OpenRead(SettingsPath);
        return await JsonSerializer.DeserializeAsync(stream, NetworkSettingsJson.Default.NetworkSettings, cancellationToken) ?? Defaults;
    }

    public async Task<OperationResult> SaveSettingsAsync(NetworkSettings settings, CancellationToken cancellationToken = default)
    {
        string? error = SettingsValidator.Validate(settings);
        if (error is not null)
        {
            return OperationResult.Fail(error);
        }
        Directory.CreateDirectory(options.Value.StateDir);
        string temp = SettingsPath + ".tmp";
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(settings, NetworkSettingsJson.Default.NetworkSettings), cancellationToken);
        File.Move(temp, SettingsPath, overwrite: true);
        return OperationResult.Ok("Saved. The engine applies them to the firewall intent when it is connected.");
    }
}
