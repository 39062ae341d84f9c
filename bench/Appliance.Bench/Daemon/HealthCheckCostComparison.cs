using Stopwatch = System.Diagnostics.Stopwatch;
using Appliance.Bench.Networking;
using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Health;
using Appliance.Orchestrator.Runtime;
using Appliance.Orchestrator.State;
using Appliance.TestSupport;

namespace Appliance.Bench.Daemon;

/// <summary>
/// `compare-health-check`: what one exec health check costs the daemon, part by part, one at a time on an otherwise idle
/// machine (the footprint bench runs ~1,000 a minute at once, which saturates a small box with runc processes, so its
/// figure per check includes the contention). Parts: reading the container's state (runc's files, as the check does;
/// `runc state`, as it did), `runc exec` of `true` through the runtime, and recording the result in health_history
/// (SQLite). Columns: this process's CPU per operation, and its waited-for children's (runc).
/// Run it as bench/health-check-cost.sh does, with the systemd unit's environment (the thread pool's spinning, off there,
/// would be counted otherwise). APPLIANCE_BENCH_ROUNDS: operations per part (300).
/// </summary>
public sealed class HealthCheckCostComparison : IComparison
{
    public string Name => "compare-health-check";

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        int rounds = int.Parse(Environment.GetEnvironmentVariable("APPLIANCE_BENCH_ROUNDS") ?? "300", System.Globalization.CultureInfo.InvariantCulture);
        await using TestBox box = await TestBox.CreateAsync(cancellationToken: cancellationToken);
        string rootfs = await BusyboxRootfs.CreateAsync(Path.Combine(box.TempDir, "rootfs"), cancellationToken);
        var options = new RuntimeOptions { StateDirectory = Path.Combine(box.TempDir, "state"), RunDirectory = box.RunDir, ToolEnvironment = box.Environment };
        var runtime = new RuncRuntime(options);
        string id = $"{box.Prefix}-check";
        box.OnTeardown($"container {id}", () => runtime.RemoveAsync(id));
        await runtime.CreateAsync(new ContainerSpec
        {
            Id = id,
            RootfsPath = rootfs,
            Process = new ContainerProcess { Args = ["/bin/sh", "-c", "exec sleep 600"], Env = ["PATH=/bin", $"{TestPrefix.EnvironmentVariable}={box.Prefix}"] },
        }, cancellationToken);
        await runtime.StartAsync(id, cancellationToken);

        await using SqliteStateStore store = await SqliteStateStore.OpenAsync(Path.Combine(box.TempDir, "db"), cancellationToken: cancellationToken);
        var monitor = new HealthMonitor(store, new EventLog(store));
        var spec = new HealthCheckSpec { Command = ["true"], Interval = TimeSpan.FromSeconds(1) };
        monitor.Started("bench", "web", DateTimeOffset.UtcNow, hasCheck: true);

        Console.WriteLine($"| one health check's part ({rounds} each, one at a time) | daemon CPU per op | runc CPU per op | wall per op |");
        Console.WriteLine("|---|---|---|---|");
        await PartAsync("container state from runc's files (what a check reads now)", rounds,
            () => Task.FromResult(runtime.RunningStateFromFiles(id) ?? throw new InvalidOperationException("not running")));
        await PartAsync("container state by `runc state` (what a check read before)", rounds,
            () => ToolRunner.RunAsync(options.RuncPath, ["--root", options.RuncRoot, "state", id], options.ToolEnvironment, TimeSpan.FromSeconds(30), cancellationToken));
        await PartAsync("`runc exec` of `true` through the runtime", rounds,
            () => runtime.ExecAsync(id, ["true"], TimeSpan.FromSeconds(30), cancellationToken));
        await PartAsync("recording the result (health_history row, SQLite)", rounds,
            () => monitor.RecordAsync("bench", "web", spec, new ProbeResult(true, DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(3), ""), cancellationToken));
    }

    private static async Task PartAsync<T>(string what, int rounds, Func<Task<T>> operation)
    {
        for (int i = 0; i < Math.Min(rounds, 30); i++)
        {
            await operation(); // warm-up: tiered JIT, SQLite statement cache
        }
        double self0 = CpuTime.SelfMilliseconds(), all0 = CpuTime.SelfAndChildrenMilliseconds();
        var wall = Stopwatch.StartNew();
        for (int i = 0; i < rounds; i++)
        {
            await operation();
        }
        double self = CpuTime.SelfMilliseconds() - self0, children = CpuTime.SelfAndChildrenMilliseconds() - all0 - self;
        Console.WriteLine($"| {what} | {self / rounds:0.000} ms | {children / rounds:0.000} ms | {wall.Elapsed.TotalMilliseconds / rounds:0.000} ms |");
    }
}
