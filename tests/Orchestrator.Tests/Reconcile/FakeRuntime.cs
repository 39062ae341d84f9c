using Appliance.Orchestrator.Health;
using Appliance.Orchestrator.Health.Schedules;
using Appliance.Orchestrator.Reconcile;

namespace Appliance.Orchestrator.Tests.Reconcile;

/// <summary>
/// An in-memory engine. A test stack file is one service per line, "NAME [restart=POLICY] [exits=CODE]";
/// a service with exits=CODE never stays up (verify fails). Crash points are injected with <see cref="CrashAfterUp"/>.
/// </summary>
public sealed class FakeRuntime : IStackRuntime, IStackModelReader
{
    public Dictionary<string, (int Version, Dictionary<string, ObservedService> Services)> Stacks { get; } = [];

    public List<string> Calls { get; } = [];

    public HashSet<string> VolumesDeleted { get; } = [];

    /// <summary>Throw (as a crash would stop the daemon) right after an Up has taken effect.</summary>
    public bool CrashAfterUp { get; set; }

    public Func<DateTimeOffset> Clock { get; set; } = () => DateTimeOffset.UnixEpoch;

    private DateTimeOffset Now => Clock();

    public Task<IReadOnlyList<string>> ListStacksAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>([.. Stacks.Keys.Order()]);

    public Task<StackObservation> InspectAsync(string stack, CancellationToken cancellationToken = default) =>
        Task.FromResult(new StackObservation(stack, Stacks.TryGetValue(stack, out var s) ? [.. s.Services.Values] : []));

    /// <summary>The services each scoped inspection asked for, as "stack: a,b".</summary>
    public List<string> ScopedInspections { get; } = [];

    public async Task<StackObservation> InspectAsync(string stack, IReadOnlyCollection<string> services, CancellationToken cancellationToken = default)
    {
        ScopedInspections.Add($"{stack}: {string.Join(',', services)}");
        StackObservation all = await InspectAsync(stack, cancellationToken);
        return all with { Services = [.. all.Services.Where(s => services.Contains(s.Service))] };
    }

    public Task UpAsync(StackDeployment deployment, CancellationToken cancellationToken = default, IReadOnlySet<string>? leaveStopped = null)
    {
        Calls.Add($"up {deployment.Stack} v{deployment.Version}");
        var services = new Dictionary<string, ObservedService>();
        Stacks.TryGetValue(deployment.Stack, out var existing);
        foreach (string[] line in Lines(deployment.StackFile))
        {
            string name = line[0];
            string? exits = line.Skip(1).FirstOrDefault(p => p.StartsWith("exits=", StringComparison.Ordinal));
            ObservedService? running = existing.Services?.GetValueOrDefault(name);
            services[name] = exits is not null
                ? new ObservedService(name, ContainerState.Exited, "c-" + name, int.Parse(exits[6..]), Now)
                : existing.Version == deployment.Version && running is { State: ContainerState.Running }
                    ? running
                    : new ObservedService(name, ContainerState.Running, $"c-{name}-v{deployment.Version}", null, Now);
        }
        Stacks[deployment.Stack] = (deployment.Version, services);
        if (CrashAfterUp)
        {
            throw new OperationCanceledException("simulated crash after up");
        }
        return Task.CompletedTask;
    }

    public Task DownAsync(string stack, bool removeVolumes, CancellationToken cancellationToken = default)
    {
        Calls.Add($"down {stack}{(removeVolumes ? " --volumes" : "")}");
        Stacks.Remove(stack);
        if (removeVolumes)
        {
            VolumesDeleted.Add(stack);
        }
        return Task.CompletedTask;
    }

    public Task RestartServiceAsync(string stack, string service, CancellationToken cancellationToken = default)
    {
        Calls.Add($"restart {stack}/{service}");
        var s = Stacks[stack];
        s.Services[service] = s.Services[service] with { State = ContainerState.Running, ExitCode = null, StartedAt = Now };
        return Task.CompletedTask;
    }

    public Task StopServiceAsync(string stack, string service, CancellationToken cancellationToken = default)
    {
        Calls.Add($"stop {stack}/{service}");
        var s = Stacks[stack];
        if (s.Services[service].State == ContainerState.Running)
        {
            s.Services[service] = s.Services[service] with { State = ContainerState.Exited, ExitCode = 143 };
        }
        return Task.CompletedTask;
    }

    public async Task StopAsync(string stack, CancellationToken cancellationToken = default)
    {
        foreach (string service in Stacks[stack].Services.Keys.Order().ToArray())
        {
            await StopServiceAsync(stack, service, cancellationToken);
        }
    }

    public System.Threading.Channels.Channel<string?> Exits { get; } = System.Threading.Channels.Channel.CreateUnbounded<string?>();

    public IAsyncEnumerable<string?> WatchExitsAsync(CancellationToken cancellationToken = default) => Exits.Reader.ReadAllAsync(cancellationToken);

    public Task<ExecResult> ExecAsync(string stack, string service, IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Task.FromResult(new ExecResult(0, ""));

    public void Exit(string stack, string service, int code) =>
        Stacks[stack].Services[service] = Stacks[stack].Services[service] with { State = ContainerState.Exited, ExitCode = code };

    public void Lose(string stack, string service) =>
        Stacks[stack].Services[service] = new ObservedService(service, ContainerState.Missing);

    public StackModel Read(StackDeployment deployment) => new(deployment.Stack, deployment.Version,
        [.. Lines(deployment.StackFile).Select(line => new ServiceModel(line[0],
            RestartPolicy.Parse(line.Skip(1).FirstOrDefault(p => p.StartsWith("restart=", StringComparison.Ordinal))?[8..] ?? "no"),
            null, [], new AutohealPolicy()))],
        Array.Empty<ScheduleSpec>());

    private static IEnumerable<string[]> Lines(string file) =>
        file.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => l.Split(' '));
}
