using System.Globalization;
using Appliance.Bench.Networking;
using Appliance.Orchestrator.Health;
using Microsoft.Extensions.DependencyInjection;
using Quartz;
using Stopwatch = System.Diagnostics.Stopwatch;

namespace Appliance.Bench.Daemon;

/// <summary>
/// `compare-quartz-firing`: what Quartz costs per firing of a job that does nothing, configured as the daemon configures it
/// (<c>AddQuartz()</c>, in-memory store), with 17 jobs every second (the footprint bench's check load) scheduled one after
/// another as <see cref="SupervisionScheduler"/> schedules a stack's checks: first at "now + min(interval, 5 s)" taken for
/// each job (how it was until 2026-12-07: every job on a phase of its own), then at <see cref="SupervisionScheduler.FirstCheckAt"/>
/// (the shared grid). CPU of this process over the window (getrusage), after a warm-up. No root needed.
/// APPLIANCE_BENCH_JOBS (17), APPLIANCE_BENCH_INTERVAL_MS (1000), APPLIANCE_BENCH_WINDOW (20 s); both runs alternate twice.
/// </summary>
public sealed class QuartzFiringComparison : IComparison
{
    public string Name => "compare-quartz-firing";

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        int jobs = Setting("APPLIANCE_BENCH_JOBS", 17);
        var interval = TimeSpan.FromMilliseconds(Setting("APPLIANCE_BENCH_INTERVAL_MS", 1000));
        int window = Setting("APPLIANCE_BENCH_WINDOW", 20);
        Console.WriteLine($"{jobs} no-op jobs every {interval.TotalMilliseconds:0} ms, {window} s windows, runs alternating");
        Console.WriteLine("| first firing | firings | CPU per firing | % of a core |");
        Console.WriteLine("|---|---|---|---|");
        for (int round = 0; round < 2; round++)
        {
            await RunOnceAsync("own phase per job (before)", jobs, interval, window, now => now + (interval < TimeSpan.FromSeconds(5) ? interval : TimeSpan.FromSeconds(5)), cancellationToken);
            await RunOnceAsync("shared grid (FirstCheckAt)", jobs, interval, window, now => SupervisionScheduler.FirstCheckAt(now, interval), cancellationToken);
        }
    }

    private static async Task RunOnceAsync(string what, int jobs, TimeSpan interval, int window, Func<DateTimeOffset, DateTimeOffset> firstAt,
        CancellationToken cancellationToken)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddQuartz();
        await using ServiceProvider provider = services.BuildServiceProvider();
        IScheduler scheduler = await provider.GetRequiredService<ISchedulerFactory>().GetScheduler(cancellationToken);
        await scheduler.Start(cancellationToken);
        NopJob.Count = 0;
        for (int i = 0; i < jobs; i++)
        {
            var key = new JobKey($"bench/web{i}", HealthCheckJob.Group);
            IJobDetail job = JobBuilder.Create<NopJob>().WithIdentity(key).UsingJobData("stack", "bench").UsingJobData("service", $"web{i}").Build();
            ITrigger trigger = TriggerBuilder.Create().WithIdentity(key.Name, key.Group).StartAt(firstAt(DateTimeOffset.UtcNow))
                .WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever()).Build();
            await scheduler.ScheduleJob(job, trigger, cancellationToken: cancellationToken);
            await Task.Delay(3, cancellationToken); // a stack's services are scheduled a few ms apart
        }
        await Task.Delay(TimeSpan.FromSeconds(12), cancellationToken); // every job has fired (first within 10 s) and is warm
        long n0 = Interlocked.Read(ref NopJob.Count);
        double cpu0 = CpuTime.SelfMilliseconds();
        var wall = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(window), cancellationToken);
        double cpu = CpuTime.SelfMilliseconds() - cpu0;
        long firings = Interlocked.Read(ref NopJob.Count) - n0;
        await scheduler.Shutdown(waitForJobsToComplete: true, cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {what} | {firings} | {cpu / firings:0.000} ms | {100 * cpu / wall.Elapsed.TotalMilliseconds:0.00} % |"));
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), CultureInfo.InvariantCulture, out int value) ? value : fallback;

    [DisallowConcurrentExecution]
    private sealed class NopJob : IJob
    {
        public static long Count;

        public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
        {
            _ = context.MergedJobDataMap.GetString("stack");
            _ = context.MergedJobDataMap.GetString("service");
            Interlocked.Increment(ref Count);
            return ValueTask.CompletedTask;
        }
    }
}
