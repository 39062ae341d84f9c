using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Appliance.Orchestrator.Firewall;
using Appliance.Orchestrator.Images;
using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Runtime;

namespace Appliance.Orchestrator.Engine;

/// <summary>
/// Brings stacks up and down: images, a bridge and subnet per stack, a network namespace, veth
/// pair and overlay rootfs per container, /etc/hosts naming every service, containers started in
/// depends_on order with their conditions honoured. `up` that fails half-way removes what it
/// created; `down` keeps going after a failure and reports all. Progress goes to
/// <see cref="WatchAsync"/> subscribers and to the caller's <see cref="IProgress{T}"/>.
/// </summary>
public sealed partial class StackEngine
{
    public const string StackLabel = "appliance.stack";
    public const string ServiceLabel = "appliance.service";

    private readonly EngineOptions _options;
    private readonly IContainerRuntime _runtime;
    private readonly IImageStore _images;
    private readonly NetworkManager _network;
    private readonly IStackFirewall? _firewall;
    private readonly SemaphoreSlim _ipamLock = new(1, 1);
    private readonly List<Channel<EngineEvent>> _watchers = new();

    public StackEngine(EngineOptions options, IContainerRuntime runtime, IImageStore images, NetworkManager network, IStackFirewall? firewall = null)
    {
        _firewall = firewall;
        _options = options;
        _runtime = runtime;
        _images = images;
        _network = network;
    }

    public EngineOptions Options => _options;

    /// <summary>Every event from now on, until cancelled.</summary>
    public async IAsyncEnumerable<EngineEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<EngineEvent>();
        lock (_watchers)
        {
            _watchers.Add(channel);
        }
        try
        {
            await foreach (EngineEvent e in channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return e;
            }
        }
        finally
        {
            lock (_watchers)
            {
                _watchers.Remove(channel);
            }
        }
    }

    private void Publish(IProgress<EngineEvent>? progress, string stack, string? service, EngineStep step, string message, bool failed = false)
    {
        var e = new EngineEvent(DateTimeOffset.UtcNow, stack, service, step, message, failed);
        progress?.Report(e);
        lock (_watchers)
        {
            foreach (Channel<EngineEvent> watcher in _watchers)
            {
                watcher.Writer.TryWrite(e);
            }
        }
    }

    /// <summary>The container id of a service: PREFIX + STACK + "-" + SERVICE.</summary>
    public string ContainerId(string stack, string service) => $"{_options.ContainerIdPrefix}{stack}-{service}";

    private string NetnsPath(string containerId) => Path.Combine(_options.NetnsDirectory, containerId);

    private string RootfsDir(string containerId) => Path.Combine(_options.RootfsDirectory, containerId);

    private string VolumeDir(string storageName) => Path.Combine(_options.VolumesDirectory, storageName, "_data");

    /// <summary>Names of the stacks `up` has deployed (and `down` not yet removed).</summary>
    public IReadOnlyList<string> ListStacks() => DeployedStack.LoadAll(_options).Select(s => s.Name).ToList();

    /// <summary>Each service's container as it is now; all stacks when <paramref name="stack"/> is null.</summary>
    public Task<IReadOnlyList<ServiceStatus>> PsAsync(string? stack = null, CancellationToken cancellationToken = default) =>
        PsAsync(stack, services: null, cancellationToken);

    /// <summary>As above, for only <paramref name="services"/> of the stack(s) when given (all of them read with one runtime call).</summary>
    public async Task<IReadOnlyList<ServiceStatus>> PsAsync(string? stack, IReadOnlyCollection<string>? services, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<DeployedStack> stacks = stack is null
            ? DeployedStack.LoadAll(_options)
            : [DeployedStack.Load(_options, stack) ?? throw new StackNotFoundException(stack)];
        List<(DeployedStack Stack, DeployedService Service)> wanted = [.. stacks.SelectMany(deployed =>
            deployed.Services.Where(s => services is null || services.Contains(s.Name)).Select(s => (deployed, s)))];
        IReadOnlyList<ContainerState?> states = await _runtime.InspectAsync([.. wanted.Select(w => w.Service.ContainerId)], cancellationToken);
        return [.. wanted.Select((w, i) => new ServiceStatus(w.Stack.Name, w.Service.Name, w.Service.ContainerId,
            states[i]?.Status ?? ContainerStatus.Stopped, states[i]?.ExitCode, w.Service.Address, w.Service.Image,
            states[i] is { Created: var created } && created != default ? created : null))];
    }

    /// <summary>A service's log lines; with <paramref name="follow"/>, until its container stops or cancellation.</summary>
    public IAsyncEnumerable<LogLine> LogsAsync(string stack, string service, bool follow, int? tail = null, CancellationToken cancellationToken = default)
    {
        DeployedStack deployed = DeployedStack.Load(_options, stack) ?? throw new StackNotFoundException(stack);
        DeployedService s = deployed.Services.FirstOrDefault(x => x.Name == service) ?? throw new StackNotFoundException(stack, service);
        return _runtime.LogsAsync(s.ContainerId, follow, tail, cancellationToken);
    }

    /// <summary>Runs a command in a service's container (health checks, `exec`).</summary>
    public Task<ExecResult> ExecAsync(string stack, string service, IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        DeployedStack deployed = DeployedStack.Load(_options, stack) ?? throw new StackNotFoundException(stack);
        DeployedService s = deployed.Services.FirstOrDefault(x => x.Name == service) ?? throw new StackNotFoundException(stack, service);
        return _runtime.ExecAsync(s.ContainerId, argv, timeout, cancellationToken);
    }
}
