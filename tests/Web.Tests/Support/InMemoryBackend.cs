using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Appliance.Web.Ui.Backend;
using YamlDotNet.RepresentationModel;

namespace Appliance.Web.Tests.Support;

/// <summary>
/// A backend for tests only: stacks in memory, events broadcast to every watcher, deploys that "pull" and
/// start each service of the YAML, exposure changes that wait for confirmation.
/// </summary>
public sealed class InMemoryBackend : IApplianceBackend
{
    /// <summary>The firewall backend the Firewall page shows ("nftables" unless a test says otherwise).</summary>
    public string FirewallBackend { get; init; } = "nftables";

    private readonly Lock _lock = new();
    private readonly List<Channel<ApplianceEvent>> _watchers = [];
    private readonly List<ApplianceEvent> _events = [];
    private readonly ConcurrentDictionary<string, PendingChange> _pending = new();
    private ImmutableStacks _stacks = new([]);
    private NetworkSettings _settings = new(["192.168.50.0/24"], [], "nftables");

    public bool IsConnected => true;

    public List<FlowQuery> Explained { get; } = [];

    /// <summary>Image references the pretend registry has a newer image of (what "check-updates" finds).</summary>
    public HashSet<string> NewerInRegistry { get; } = [];

    /// <summary>Adds a running, healthy stack with services "svc0..", one published port each (base + i).</summary>
    public InMemoryBackend WithStack(string name, int services = 3, int basePort = 0, Exposure exposure = Exposure.Lan)
    {
        var list = Enumerable.Range(0, services).Select(i => new ServiceView(i == 0 ? name : $"{name}-db{i}", $"registry.local/{name}:{i + 1}", "running", "healthy", i % 2)).ToList();
        var ports = basePort == 0 ? [] : new List<PortView> { new(list[0].Name, basePort, 80, "tcp", exposure, exposure == Exposure.Lan ? ["192.168.50.0/24"] : []) };
        Set(new StackView(name, "running", list, ports, DateTimeOffset.UtcNow));
        return this;
    }

    public Task<IReadOnlyList<StackView>> ListStacksAsync(CancellationToken cancellationToken = default)
        => Task.FromResult<IReadOnlyList<StackView>>(_stacks.Items);

    public Task<StackView?> GetStackAsync(string name, CancellationToken cancellationToken = default)
        => Task.FromResult(_stacks.Items.FirstOrDefault(s => s.Name == name));

    public async IAsyncEnumerable<ApplianceEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<ApplianceEvent>();
        lock (_lock)
        {
            _watchers.Add(channel);
        }
        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out ApplianceEvent? e))
                {
                    yield return e;
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                _watchers.Remove(channel);
            }
        }
    }

    public Task<IReadOnlyList<ApplianceEvent>> RecentEventsAsync(string? stack, int max, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<ApplianceEvent>>([.. _events.Where(e => stack is null || e.Stack == stack).Reverse().Take(max)]);
        }
    }

    public async IAsyncEnumerable<LogLine> FollowLogsAsync(string stack, string? service, int tail, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (LogLine line in CannedLogs(stack))
        {
            yield return line;
        }
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public IAsyncEnumerable<LogLine> ReadLogsAsync(string stack, string? service, int? tail, CancellationToken cancellationToken = default)
    {
        List<LogLine> lines = CannedLogs(stack);
        return lines.Skip(tail is int n ? Math.Max(0, lines.Count - n) : 0).ToAsyncEnumerable();
    }

    /// <summary>Two lines per service and a warning on stderr, as if written over the last five minutes.</summary>
    private List<LogLine> CannedLogs(string stack)
    {
        StackView? view = _stacks.Items.FirstOrDefault(s => s.Name == stack);
        if (view is null)
        {
            return [];
        }
        DateTimeOffset t0 = DateTimeOffset.UtcNow.AddMinutes(-5);
        var lines = new List<LogLine>();
        foreach (ServiceView s in view.Services)
        {
            lines.Add(new LogLine(t0.AddSeconds(lines.Count), s.Name, "stdout", $"{s.Name} starting ({s.Image})"));
            lines.Add(new LogLine(t0.AddSeconds(lines.Count), s.Name, "stdout", $"{s.Name} ready to accept connections"));
        }
        lines.Add(new LogLine(t0.AddSeconds(lines.Count), view.Services[0].Name, "stderr", "warning: using default configuration"));
        return lines;
    }

    public async Task<OperationResult> DeployAsync(string name, string stackYaml, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(stackYaml));
        var services = ((YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode).Children[new YamlScalarNode("services")]).Children
            .Select(kv => new ServiceView(((YamlScalarNode)kv.Key).Value!, ((YamlScalarNode)((YamlMappingNode)kv.Value).Children[new YamlScalarNode("image")]).Value!, "created", "starting", 0))
            .ToList();
        Set(new StackView(name, "deploying", services, [], DateTimeOffset.UtcNow));
        foreach (ServiceView s in services)
        {
            Publish(new ApplianceEvent(DateTimeOffset.UtcNow, "pull", name, s.Name, $"pulling {s.Image}", 0.5));
            await Task.Yield();
            Publish(new ApplianceEvent(DateTimeOffset.UtcNow, "pull", name, s.Name, $"pulled {s.Image}", 1.0));
        }
        Set(new StackView(name, "running", [.. services.Select(s => s with { State = "running", Health = "healthy" })], [], DateTimeOffset.UtcNow));
        Publish(new ApplianceEvent(DateTimeOffset.UtcNow, "deploy", name, null, "all services healthy"));
        return OperationResult.Ok($"Stack '{name}' is up: {services.Count} services healthy.");
    }

    public Task<OperationResult> RunAsync(string stack, string operation, bool removeVolumes, CancellationToken cancellationToken = default)
    {
        StackView? view = _stacks.Items.FirstOrDefault(s => s.Name == stack);
        if (view is null)
        {
            return Task.FromResult(OperationResult.Fail($"No stack named '{stack}'."));
        }
        if (operation == "remove")
        {
            lock (_lock)
            {
                _stacks = new([.. _stacks.Items.Where(s => s.Name != stack)]);
            }
            Publish(new ApplianceEvent(DateTimeOffset.UtcNow, "remove", stack, null, removeVolumes ? "removed with volumes" : "removed, volumes kept"));
            return Task.FromResult(OperationResult.Ok($"Removed '{stack}'{(removeVolumes ? " and its volumes" : "; volumes kept")}."));
        }
        if (operation is "check-updates" or "update")
        {
            string[] newer = [.. view.Services.Select(s => s.Image).Where(NewerInRegistry.Contains).Distinct()];
            if (operation == "update")
            {
                NewerInRegistry.ExceptWith(newer);
                Set(view with { NewerImages = [], ImagesCheckedAt = DateTimeOffset.UtcNow });
                return Task.FromResult(OperationResult.Ok(newer.Length == 0 ? $"Every image of '{stack}' is up to date; nothing changed." : $"Updated {string.Join(", ", newer)}."));
            }
            Set(view with { NewerImages = newer, ImagesCheckedAt = DateTimeOffset.UtcNow });
            return Task.FromResult(OperationResult.Ok(newer.Length == 0 ? $"Every image of '{stack}' is up to date." : $"Newer images in the registry: {string.Join(", ", newer)}."));
        }
        Set(view with { State = operation == "stop" ? "stopped" : "running" });
        Publish(new ApplianceEvent(DateTimeOffset.UtcNow, operation, stack, null, $"{operation} done"));
        return Task.FromResult(OperationResult.Ok($"{operation}: done."));
    }

    public Task<OperationResult> RunServiceAsync(string stack, string service, string operation, CancellationToken cancellationToken = default)
    {
        StackView? view = _stacks.Items.FirstOrDefault(s => s.Name == stack);
        if (view?.Services.FirstOrDefault(s => s.Name == service) is null)
        {
            return Task.FromResult(OperationResult.Fail($"stack '{stack}' has no service '{service}'"));
        }
        string state = operation == "stop" ? "stopped" : "running";
        Set(view with { Services = [.. view.Services.Select(s => s.Name == service ? s with { State = state } : s)] });
        Publish(new ApplianceEvent(DateTimeOffset.UtcNow, "restart", stack, service, operation == "stop" ? "stopped" : operation + "ed"));
        return Task.FromResult(OperationResult.Ok($"'{stack}/{service}' {(operation == "stop" ? "stopped" : operation + "ed")}."));
    }

    public Task<OperationResult> SetExposureAsync(string stack, string service, int hostPort, string protocol, Exposure exposure, CancellationToken cancellationToken = default)
    {
        StackView view = _stacks.Items.First(s => s.Name == stack);
        Set(view with { Ports = [.. view.Ports.Select(p => p.HostPort == hostPort ? p with { Exposure = exposure, AllowedSources = [] } : p)] });
        Exposure previous = view.Ports.First(p => p.HostPort == hostPort).Exposure;
        var change = new PendingChange($"c{_pending.Count + 1}", $"port {hostPort}/{protocol} of {stack} becomes {exposure}", DateTimeOffset.UtcNow.AddSeconds(60))
        {
            Port = new PendingPortChange(stack, hostPort, protocol, previous, exposure),
        };
        _pending[change.Id] = change;
        Publish(new ApplianceEvent(DateTimeOffset.UtcNow, "firewall", stack, service, change.Description));
        return Task.FromResult(OperationResult.Ok("Applied; confirm within 60 s or it rolls back.", change));
    }

    public Task<IReadOnlyList<PendingChange>> PendingChangesAsync(CancellationToken cancellationToken = default)
        => Task.FromResult<IReadOnlyList<PendingChange>>([.. _pending.Values.OrderBy(c => c.Deadline)]);

    public Task<OperationResult> ConfirmChangeAsync(string changeId, CancellationToken cancellationToken = default)
        => Task.FromResult(_pending.TryRemove(changeId, out PendingChange? change)
            ? OperationResult.Ok($"Confirmed: {change.Description}.")
            : OperationResult.Fail($"No pending change '{changeId}'."));

    public Task<IReadOnlyList<int>> UsedHostPortsAsync(CancellationToken cancellationToken = default)
        => Task.FromResult<IReadOnlyList<int>>([.. _stacks.Items.SelectMany(s => s.Ports).Select(p => p.HostPort)]);

    public Task<FirewallView> GetFirewallAsync(CancellationToken cancellationToken = default)
        => Task.FromResult(new FirewallView(FirewallBackend,
            [.. _stacks.Items.SelectMany(s => s.Ports.Select(p => $"{s.Name}: port {p.HostPort}/{p.Protocol} is open to {p.Exposure switch { Exposure.HostOnly => "this box only", Exposure.Lan => "the LAN (" + string.Join(", ", p.AllowedSources) + ")", _ => "the internet" }}."))],
            "table inet appliance {\n  chain forward { type filter hook forward priority filter - 5; policy accept; }\n}",
            [], [.. _pending.Values]));

    public Task<FlowExplanation> ExplainAsync(FlowQuery flow, CancellationToken cancellationToken = default)
    {
        Explained.Add(flow);
        PortView? port = _stacks.Items.SelectMany(s => s.Ports).FirstOrDefault(p => p.HostPort == flow.Port);
        return Task.FromResult(port is null
            ? new FlowExplanation(false, $"Nothing is published on port {flow.Port}/{flow.Protocol}; the default policy drops it.", ["chain input: no rule matches", "policy drop"])
            : new FlowExplanation(true, $"{flow.Source} may reach {port.Service}:{port.ContainerPort}.", ["nat prerouting: DNAT to the container", "forward: accepted for the exposure's sources"]));
    }

    public Task<IReadOnlyList<ScheduleView>> ListSchedulesAsync(CancellationToken cancellationToken = default)
        => Task.FromResult<IReadOnlyList<ScheduleView>>([.. _stacks.Items.Take(2).Select(s => new ScheduleView(s.Name, null, "restart", "0 4 * * *", DateTimeOffset.UtcNow.Date.AddHours(4), DateTimeOffset.UtcNow.Date.AddDays(1).AddHours(4), "ok"))]);

    public Task<IReadOnlyList<HealthView>> ListHealthAsync(CancellationToken cancellationToken = default)
        => Task.FromResult<IReadOnlyList<HealthView>>([.. _stacks.Items.SelectMany(s => s.Services.Select(v => new HealthView(s.Name, v.Name, v.Health, "armed",
            [.. Enumerable.Range(0, 30).Select(i => new HealthSample(DateTimeOffset.UtcNow.AddSeconds(-30 * (30 - i)), i == 12 ? "unhealthy" : "healthy", null))])))]);

    public Task<NetworkSettings> GetSettingsAsync(CancellationToken cancellationToken = default) => Task.FromResult(_settings);

    public Task<OperationResult> SaveSettingsAsync(NetworkSettings settings, CancellationToken cancellationToken = default)
    {
        if (SettingsValidator.Validate(settings) is { } error)
        {
            return Task.FromResult(OperationResult.Fail(error));
        }
        _settings = settings;
        return Task.FromResult(OperationResult.Ok("Saved."));
    }

    public void Publish(ApplianceEvent e)
    {
        lock (_lock)
        {
            _events.Add(e);
            foreach (Channel<ApplianceEvent> watcher in _watchers)
            {
                watcher.Writer.TryWrite(e);
            }
        }
    }

    private void Set(StackView stack)
    {
        lock (_lock)
        {
            _stacks = new([.. _stacks.Items.Where(s => s.Name != stack.Name), stack]);
        }
    }

    private sealed record ImmutableStacks(IReadOnlyList<StackView> Items);
}
