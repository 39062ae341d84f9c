using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Health;
using Appliance.Orchestrator.Health.Schedules;
using Appliance.Orchestrator.Reconcile;
using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.Stacks.Resolved;
using Appliance.Orchestrator.State;
using Appliance.Web.Ui;
using Appliance.Web.Ui.Backend;
using Microsoft.Extensions.Options;

namespace Appliance.Web.Hosting;

/// <summary>
/// The web UI's and REST API's <see cref="IApplianceBackend"/> on the daemon's services: stacks as deployed (state database)
/// with their observed containers (engine, cached 2 s) and health (monitor); the event log and engine progress as one live
/// stream; deploy/remove/start/stop/restart through the persisted plans; schedules and health history; the firewall (intent,
/// live rules, explain, exposure changes, network settings) on the daemon's firewall coordinator (DaemonBackend.Firewall.cs).
/// Without an engine (no coordinator) the network settings are only saved, through <see cref="DisconnectedBackend"/>.
/// </summary>
public sealed partial class DaemonBackend(IServiceProvider services, IOptions<UiOptions> uiOptions, DaemonOptions options) : IApplianceBackend
{
    private static readonly TimeSpan ObservationTtl = TimeSpan.FromSeconds(2);

    private readonly DisconnectedBackend _rest = new(uiOptions);
    private readonly StackRepository _stacks = services.GetRequiredService<StackRepository>();
    private readonly EventLog _events = services.GetRequiredService<EventLog>();
    private readonly HealthMonitor _health = services.GetRequiredService<HealthMonitor>();
    private readonly IStackRuntime? _runtime = services.GetService<IStackRuntime>();
    private readonly Deployer? _deployer = services.GetService<Deployer>();
    private readonly ImageUpdates? _imageUpdates = services.GetService<ImageUpdates>();
    private readonly ConcurrentDictionary<(string, int), ResolvedStack?> _resolved = new();
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, StackObservation Observation)> _observed = new(StringComparer.Ordinal);

    public bool IsConnected => _deployer is not null;

    public async Task<IReadOnlyList<StackView>> ListStacksAsync(CancellationToken cancellationToken = default)
    {
        HashSet<string> busy = [.. (await _stacks.UnfinishedAsync(cancellationToken)).Select(d => d.Stack)];
        var views = new List<StackView>();
        foreach (StackRecord stack in await _stacks.ListStacksAsync(cancellationToken))
        {
            views.Add(await ViewAsync(stack, busy.Contains(stack.Name), cancellationToken));
        }
        return views;
    }

    public async Task<StackView?> GetStackAsync(string name, CancellationToken cancellationToken = default) =>
        await _stacks.GetStackAsync(name, cancellationToken) is { } stack
            ? await ViewAsync(stack, (await _stacks.UnfinishedAsync(cancellationToken)).Any(d => d.Stack == name), cancellationToken)
            : null;

    public async IAsyncEnumerable<ApplianceEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Channel<ApplianceEvent> merged = Channel.CreateBounded<ApplianceEvent>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task events = PumpAsync(_events.WatchAsync(stop.Token), e => ToView(e), merged.Writer, stop.Token);
        Task engine = services.GetService<StackEngine>() is { } stackEngine
            ? PumpAsync(stackEngine.WatchAsync(stop.Token), e => new ApplianceEvent(e.Time, e.Failed ? EventKind.Alert : "progress", e.Stack, e.Service,
                $"{e.Step}: {e.Message}"), merged.Writer, stop.Token)
            : Task.CompletedTask;
        try
        {
            await foreach (ApplianceEvent e in merged.Reader.ReadAllAsync(cancellationToken))
            {
                yield return e;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(events, engine).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public async Task<IReadOnlyList<ApplianceEvent>> RecentEventsAsync(string? stack, int max, CancellationToken cancellationToken = default) =>
        [.. (await _events.RecentAsync(stack, max, 0, cancellationToken)).Select(ToView)];

    public IAsyncEnumerable<LogLine> FollowLogsAsync(string stack, string? service, int tail, CancellationToken cancellationToken = default) =>
        LogsAsync(stack, service, follow: true, tail, cancellationToken);

    public IAsyncEnumerable<LogLine> ReadLogsAsync(string stack, string? service, int? tail, CancellationToken cancellationToken = default) =>
        LogsAsync(stack, service, follow: false, tail, cancellationToken);

    private async IAsyncEnumerable<LogLine> LogsAsync(string stack, string? service, bool follow, int? tail,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (services.GetService<StackEngine>() is not { } engine)
        {
            yield break;
        }
        string? name = service ?? (await ObserveAsync(stack, cancellationToken)).Services.FirstOrDefault()?.Service;
        if (name is null)
        {
            yield break;
        }
        await foreach (Orchestrator.Runtime.LogLine line in engine.LogsAsync(stack, name, follow, tail, cancellationToken))
        {
            yield return new LogLine(line.Timestamp, name, line.Stream == Orchestrator.Runtime.LogStream.Stderr ? "stderr" : "stdout", line.Text);
        }
    }

    public async Task<OperationResult> DeployAsync(string name, string stackYaml, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default)
    {
        if (_deployer is null)
        {
            return OperationResult.Fail("The container engine is not connected to this daemon, so nothing can be deployed yet.");
        }
        try
        {
            DeployResult result = await _deployer.DeployAsync(name, stackYaml, parameters, cancellationToken);
            _observed.TryRemove(name, out _);
            return result.Succeeded ? OperationResult.Ok($"'{name}' {result.Message}.") : OperationResult.Fail(result.Message);
        }
        catch (StateConflictException e)
        {
            return OperationResult.Fail(e.Message);
        }
    }

    public async Task<OperationResult> RunAsync(string stack, string operation, bool removeVolumes, CancellationToken cancellationToken = default)
    {
        if (_deployer is null || _runtime is null)
        {
            return OperationResult.Fail("The container engine is not connected to this daemon.");
        }
        try
        {
            _observed.TryRemove(stack, out _);
            switch (operation)
            {
                case "remove":
                    DeployResult removed = await _deployer.RemoveAsync(stack, removeVolumes, cancellationToken);
                    _imageUpdates?.Forget(stack);
                    return OperationResult.Ok($"'{stack}' {removed.Message}" + (removeVolumes ? " with its volumes." : "; its volumes were kept."));
                case "stop" or "start" or "restart":
                    StackControl control = services.GetRequiredService<StackControl>();
                    ControlResult result = operation == "stop"
                        ? await control.StopStackAsync(stack, "a user (web UI)", cancellationToken)
                        : await control.StartStackAsync(stack, "a user (web UI)", restart: operation == "restart", cancellationToken);
                    return result.Succeeded ? OperationResult.Ok(result.Message + ".") : OperationResult.Fail(result.Message);
                case "check-updates":
                    IReadOnlyList<ImageUpdate> newer = await (_imageUpdates ?? throw new InvalidOperationException("image updates are not connected to this daemon")).FindAsync(stack, cancellationToken);
                    return OperationResult.Ok(newer.Count == 0
                        ? $"Every image of '{stack}' is up to date."
                        : $"Newer images in the registry: {string.Join(", ", newer.Select(u => u.Reference))}. Update images pulls them and redeploys '{stack}' on them.");
                case "update":
                    DeployResult updated = await (_imageUpdates ?? throw new InvalidOperationException("image updates are not connected to this daemon")).UpdateAsync(stack, _deployer, cancellationToken);
                    return updated.Succeeded ? OperationResult.Ok(updated.Message) : OperationResult.Fail(updated.Message);
                default:
                    return OperationResult.Fail($"'{operation}' is not a stack operation; use remove, stop, start, restart, check-updates or update.");
            }
        }
        catch (Exception e) when (e is StateConflictException or EngineException or InvalidOperationException or Appliance.Orchestrator.Images.ImageException)
        {
            return OperationResult.Fail(e.Message);
        }
    }

    public async Task<OperationResult> RunServiceAsync(string stack, string service, string operation, CancellationToken cancellationToken = default)
    {
        if (_deployer is null || _runtime is null || services.GetService<StackControl>() is not { } control)
        {
            return OperationResult.Fail("The container engine is not connected to this daemon.");
        }
        if (operation is not ("start" or "stop" or "restart"))
        {
            return OperationResult.Fail($"'{operation}' is not a service operation; use start, stop or restart.");
        }
        try
        {
            _observed.TryRemove(stack, out _);
            ControlResult result = operation == "stop"
                ? await control.StopServiceAsync(stack, service, "a user (web UI)", cancellationToken)
                : await control.StartServiceAsync(stack, service, "a user (web UI)", restart: operation == "restart", cancellationToken);
            return result.Succeeded ? OperationResult.Ok(result.Message + ".") : OperationResult.Fail(result.Message);
        }
        catch (Exception e) when (e is StateConflictException or EngineException or InvalidOperationException)
        {
            return OperationResult.Fail(e.Message);
        }
    }

    public async Task<IReadOnlyList<int>> UsedHostPortsAsync(CancellationToken cancellationToken = default) =>
        [.. (await _stacks.ListStacksAsync(cancellationToken)).SelectMany(s => Resolve(s)?.Services.SelectMany(v => v.Ports) ?? [])
            .Select(p => p.HostPort).Distinct().Order()];

    public async Task<IReadOnlyList<ScheduleView>> ListSchedulesAsync(CancellationToken cancellationToken = default) =>
        services.GetService<ScheduleRunner>() is { } runner
            ? [.. (await runner.ListAsync(cancellationToken)).Select(s => new ScheduleView(s.Stack, s.Service, $"{s.Name} ({s.Action})", s.Cron, s.LastRun, s.NextRun, s.LastResult))]
            : [];

    public async Task<IReadOnlyList<HealthView>> ListHealthAsync(CancellationToken cancellationToken = default)
    {
        var views = new List<HealthView>();
        foreach (ServiceHealthSnapshot s in _health.Snapshot())
        {
            IReadOnlyList<HealthHistoryEntry> history = await _health.HistoryAsync(s.Stack, s.Service, 20, cancellationToken);
            string autoheal = s.Autoheal.BreakerOpen ? "circuit breaker open" : s.LastAction ?? (s.Autoheal.Attempts > 0 ? $"{s.Autoheal.Attempts} restart(s)" : "idle");
            views.Add(new HealthView(s.Stack, s.Service, s.Health.Status.ToWire(), autoheal,
                [.. history.Select(h => new HealthSample(h.Time, h.Status.ToWire(), h.Output))]));
        }
        return views;
    }

    private async Task<StackView> ViewAsync(StackRecord stack, bool busy, CancellationToken cancellationToken)
    {
        ResolvedStack? resolved = Resolve(stack);
        StackObservation observed = await ObserveAsync(stack.Name, cancellationToken);
        IReadOnlySet<string> stoppedByUser = await _stacks.StoppedServicesAsync(stack.Name, cancellationToken);
        var services = new List<ServiceView>();
        foreach (ResolvedService service in resolved?.Services ?? [])
        {
            ObservedService? container = observed.Services.FirstOrDefault(o => o.Service == service.Name);
            ServiceHealthSnapshot? health = _health.Get(stack.Name, service.Name);
            ContainerState seen = container?.State ?? ContainerState.Missing;
            // Down because a user stopped it: "stopped", not "exited" (which reads as a failure).
            string serviceState = seen != ContainerState.Running && (stoppedByUser.Contains(service.Name) || stack.DesiredState == "stopped")
                ? "stopped" : seen.ToString().ToLowerInvariant();
            services.Add(new ServiceView(service.Name, service.Image, serviceState,
                serviceState == "stopped" ? "—" : health?.Health.Status.ToWire() ?? (service.Healthcheck is null ? "none" : "starting"), health?.Autoheal.Restarts.Count ?? 0, container?.Address));
        }
        string state = busy ? "deploying"
            : stack.DesiredState == "stopped" ? "stopped"
            : services.Count > 0 && services.All(s => s.State == "running") ? "running"
            : services.Count > 0 && services.All(s => s.State is "running" or "stopped")
                ? services.Any(s => s.State == "running") ? "partly stopped" : "stopped"
            : services.Any(s => s.State == "running") ? "degraded" : "down";
        var ports = new List<PortView>();
        foreach (ResolvedService service in resolved?.Services ?? [])
        {
            foreach (Orchestrator.Stacks.Resolved.PublishedPort p in service.Ports)
            {
                (Ui.Backend.Exposure exposure, IReadOnlyList<string> sources, string? note) = await ReachAsync(stack.Name, p, cancellationToken);
                ports.Add(new PortView(service.Name, p.HostPort, p.ContainerPort, p.Protocol.ToString().ToLowerInvariant(), exposure, sources, note));
            }
        }
        // What the last image check (a schedule's update-check, or Check for updates) found, to offer Update images; only
        // what still holds for this deployment (a redeploy may have changed or pulled its images since).
        ImageCheck? check = _imageUpdates is null ? null : await _imageUpdates.CurrentCheckAsync(stack.Name,
            [.. (resolved?.Services ?? []).Select(s => s.Image)], cancellationToken);
        return new StackView(stack.Name, state, services, ports, stack.UpdatedAt, check?.Newer.Select(u => u.Reference).ToList(), check?.CheckedAt);
    }

    private ResolvedStack? Resolve(StackRecord stack) => _resolved.GetOrAdd((stack.Name, stack.Version), _ =>
        StackLoader.LoadFromText(stack.StackFile, StackFiles.PathOf(options.StateDir, stack.Name), stack.Parameters).Stack);

    private async Task<StackObservation> ObserveAsync(string stack, CancellationToken cancellationToken)
    {
        if (_runtime is null)
        {
            return new StackObservation(stack, []);
        }
        if (_observed.TryGetValue(stack, out var cached) && DateTimeOffset.UtcNow - cached.At < ObservationTtl)
        {
            return cached.Observation;
        }
        StackObservation observation = await _runtime.InspectAsync(stack, cancellationToken);
        _observed[stack] = (DateTimeOffset.UtcNow, observation);
        return observation;
    }

    private static ApplianceEvent ToView(ApplianceEventRecord e) =>
        new(e.Time, e.Kind, e.Stack, e.Service, e.Reason is null ? e.Message : $"{e.Message} ({e.Reason})");

    private static async Task PumpAsync<T>(IAsyncEnumerable<T> source, Func<T, ApplianceEvent> map, ChannelWriter<ApplianceEvent> sink, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (T item in source.WithCancellation(cancellationToken))
            {
                sink.TryWrite(map(item));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // the page went away
        }
    }
}
