using System.Runtime.CompilerServices;
using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Reconcile;
using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.State;
using Microsoft.Extensions.Options;

namespace Appliance.Web.Ui.Backend;

/// <summary>
/// The UI's view of the daemon: stacks as deployed (state store), events (event log, live), deploy and remove
/// through the daemon's <see cref="Deployer"/> when an engine is registered. What the daemon does not have yet
/// (container health, logs, the live firewall) shows as unknown or empty, never invented.
/// </summary>
public sealed class DaemonBackend(StackRepository stacks, EventLog events, IServiceProvider services, IOptions<UiOptions> options) : IApplianceBackend
{
    private const string NoEngine = "The container engine is not connected to this daemon, so nothing can be deployed or changed yet.";
    private readonly DisconnectedBackend _notYet = new(options);

    private Deployer? Engine => services.GetService<Deployer>();

    public bool IsConnected => Engine is not null;

    public async Task<IReadOnlyList<StackView>> ListStacksAsync(CancellationToken cancellationToken = default)
        => [.. (await stacks.ListStacksAsync(cancellationToken)).Where(s => s.DesiredState != "removed").Select(View)];

    public async Task<StackView?> GetStackAsync(string name, CancellationToken cancellationToken = default)
        => await stacks.GetStackAsync(name, cancellationToken) is { } record && record.DesiredState != "removed" ? View(record) : null;

    public async IAsyncEnumerable<ApplianceEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        IAsyncEnumerator<ApplianceEventRecord> changes = events.WatchAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                try
                {
                    if (!await changes.MoveNextAsync())
                    {
                        yield break;
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    yield break;
                }
                yield return View(changes.Current);
            }
        }
        finally
        {
            await changes.DisposeAsync();
        }
    }

    public async Task<IReadOnlyList<ApplianceEvent>> RecentEventsAsync(string? stack, int max, CancellationToken cancellationToken = default)
        => [.. (await events.RecentAsync(stack, max, cancellationToken: cancellationToken)).Select(View)];

    public IAsyncEnumerable<LogLine> FollowLogsAsync(string stack, string? service, int tail, CancellationToken cancellationToken = default)
        => _notYet.FollowLogsAsync(stack, service, tail, cancellationToken);

    public async Task<OperationResult> DeployAsync(string name, string stackYaml, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default)
    {
        if (Engine is not { } engine)
        {
            return OperationResult.Fail(NoEngine);
        }
        DeployResult result = await engine.DeployAsync(name, stackYaml, parameters, cancellationToken);
        return new OperationResult(result.Succeeded, result.Message);
    }

    public async Task<OperationResult> RunAsync(string stack, string operation, bool removeVolumes, CancellationToken cancellationToken = default)
    {
        if (Engine is not { } engine)
        {
            return OperationResult.Fail(NoEngine);
        }
        if (operation == "remove")
        {
            DeployResult result = await engine.RemoveAsync(stack, removeVolumes, cancellationToken);
            return new OperationResult(result.Succeeded, result.Message);
        }
        return OperationResult.Fail($"'{operation}' is not available from this daemon's engine yet.");
    }

    public Task<OperationResult> SetExposureAsync(string stack, string service, int hostPort, string protocol, Exposure exposure, CancellationToken cancellationToken = default)
        => Task.FromResult(OperationResult.Fail("Changing exposure needs the firewall backend, which is not connected to this daemon yet; edit the stack's x-appliance exposure and deploy."));

    public Task<OperationResult> ConfirmChangeAsync(string changeId, CancellationToken cancellationToken = default) => _notYet.ConfirmChangeAsync(changeId, cancellationToken);

    public async Task<IReadOnlyList<int>> UsedHostPortsAsync(CancellationToken cancellationToken = default)
        => [.. (await ListStacksAsync(cancellationToken)).SelectMany(s => s.Ports).Select(p => p.HostPort)];

    public Task<FirewallView> GetFirewallAsync(CancellationToken cancellationToken = default) => _notYet.GetFirewallAsync(cancellationToken);

    public Task<FlowExplanation> ExplainAsync(FlowQuery flow, CancellationToken cancellationToken = default) => _notYet.ExplainAsync(flow, cancellationToken);

    public Task<IReadOnlyList<ScheduleView>> ListSchedulesAsync(CancellationToken cancellationToken = default) => _notYet.ListSchedulesAsync(cancellationToken);

    public Task<IReadOnlyList<HealthView>> ListHealthAsync(CancellationToken cancellationToken = default) => _notYet.ListHealthAsync(cancellationToken);

    public Task<NetworkSettings> GetSettingsAsync(CancellationToken cancellationToken = default) => _notYet.GetSettingsAsync(cancellationToken);

    public Task<OperationResult> SaveSettingsAsync(NetworkSettings settings, CancellationToken cancellationToken = default) => _notYet.SaveSettingsAsync(settings, cancellationToken);

    private static StackView View(StackRecord record)
    {
        StackLoadResult loaded = StackLoader.LoadFromText(record.StackFile, $"{record.Name}/stack.yaml", record.Parameters);
        IReadOnlyList<Orchestrator.Stacks.Resolved.ResolvedService> resolved = loaded.Stack?.Services ?? [];
        // Health and restart counts come from the health checks once they report; until then "unknown".
        var servicesView = resolved.Select(s => new ServiceView(s.Name, s.Image, record.DesiredState, "unknown", 0)).ToList();
        // Exposure as deployed (the stack file); the live-ruleset reading arrives with the firewall backend.
        var ports = resolved.SelectMany(s => s.Ports.Select(p => new PortView(s.Name, p.HostPort, p.ContainerPort,
            p.Protocol.ToString().ToLowerInvariant(), (Exposure)(int)p.Exposure, p.Sources))).ToList();
        return new StackView(record.Name, loaded.HasErrors ? "invalid" : record.DesiredState, servicesView, ports, record.UpdatedAt);
    }

    private static ApplianceEvent View(ApplianceEventRecord e)
        => new(e.Time, e.Kind, e.Stack, e.Service, e.Reason is null ? e.Message : $"{e.Message} ({e.Reason})");
}
