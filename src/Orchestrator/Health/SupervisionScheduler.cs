using Appliance.Orchestrator.Health.Schedules;
using Appliance.Orchestrator.Reconcile;
using Quartz;

namespace Appliance.Orchestrator.Health;

/// <summary>
/// Keeps Quartz's jobs in line with the deployed stacks: one <see cref="HealthCheckJob"/> per service with a health check
/// (first run after min(interval, 5 s), then every interval), one <see cref="ScheduledActionJob"/> per
/// <c>x-appliance.schedules</c> entry (cron trigger, misfire FireAndProceed, plus one catch-up run for a time missed while the
/// daemon was down: <see cref="MisfirePolicy"/>). <see cref="SyncAsync"/> is idempotent; the reconcile loop calls it every pass.
/// </summary>
public sealed class SupervisionScheduler(ISchedulerFactory factory, HealthSupervisor supervisor, ScheduleRunner runner, TimeProvider? timeProvider = null)
{
    private static readonly TimeSpan FirstCheckAtMost = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Dictionary<JobKey, string> _scheduled = [];
    private readonly Dictionary<(string Stack, string Name), ScheduleSpec> _schedules = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    public ScheduleSpec? FindSchedule(string stack, string name)
    {
        lock (_schedules)
        {
            return _schedules.GetValueOrDefault((stack, name));
        }
    }

    /// <summary>Makes the jobs match exactly <paramref name="models"/> (every deployed stack): new ones scheduled, changed ones
    /// rescheduled, those of stacks no longer listed removed.</summary>
    public Task SyncAsync(IReadOnlyList<StackModel> models, CancellationToken cancellationToken = default) => SyncAsync(models, complete: true, cancellationToken);

    /// <summary>Schedules (or reschedules) the jobs of one stack and leaves the others alone (a deploy's verify step uses it).</summary>
    public Task AddOrUpdateAsync(StackModel model, CancellationToken cancellationToken = default) => SyncAsync([model], complete: false, cancellationToken);

    private async Task SyncAsync(IReadOnlyList<StackModel> models, bool complete, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            IScheduler scheduler = await factory.GetScheduler(cancellationToken);
            var wanted = new Dictionary<JobKey, (string Signature, Func<Task> Schedule)>();
            foreach (StackModel model in models)
            {
                supervisor.Track(model);
                foreach (ServiceModel service in model.Services.Where(s => s.HealthCheck is not null))
                {
                    HealthCheckSpec spec = service.HealthCheck!;
                    var key = new JobKey($"{model.Name}/{service.Name}", HealthCheckJob.Group);
                    wanted[key] = ($"{spec.Interval}", () => ScheduleHealthAsync(scheduler, key, model.Name, service.Name, spec, cancellationToken));
                }
                foreach (ScheduleSpec schedule in model.Schedules)
                {
                    lock (_schedules)
                    {
                        _schedules[(model.Name, schedule.Name)] = schedule;
                    }
                    var key = new JobKey($"{model.Name}/{schedule.Name}", ScheduledActionJob.Group);
                    wanted[key] = ($"{schedule.Cron}|{schedule.Action}|{schedule.Service}|{string.Join(' ', schedule.Command ?? [])}",
                        () => ScheduleActionAsync(scheduler, key, model.Name, schedule, cancellationToken));
                }
                await runner.UnregisterOthersAsync(model.Name, [.. model.Schedules.Select(s => s.Name)], cancellationToken);
            }
            foreach (StackModel gone in supervisor.Tracked.Where(t => complete && models.All(m => m.Name != t.Name)).ToArray())
            {
                supervisor.Untrack(gone.Name);
                await runner.UnregisterOthersAsync(gone.Name, [], cancellationToken);
            }
            bool Concerned(JobKey key) => complete || models.Any(m => key.Name.StartsWith(m.Name + "/", StringComparison.Ordinal));
            foreach ((JobKey key, string _) in _scheduled.Where(s => Concerned(s.Key) && (!wanted.TryGetValue(s.Key, out var w) || w.Signature != s.Value)).ToArray())
            {
                await scheduler.DeleteJob(key, cancellationToken);
                _scheduled.Remove(key);
            }
            foreach ((JobKey key, (string signature, Func<Task> schedule)) in wanted.Where(w => !_scheduled.ContainsKey(w.Key)))
            {
                await schedule();
                _scheduled[key] = signature;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ScheduleHealthAsync(IScheduler scheduler, JobKey key, string stack, string service, HealthCheckSpec spec, CancellationToken cancellationToken)
    {
        IJobDetail job = JobBuilder.Create<HealthCheckJob>().WithIdentity(key).UsingJobData("stack", stack).UsingJobData("service", service).Build();
        ITrigger trigger = TriggerBuilder.Create(_time).WithIdentity(key.Name, key.Group).StartAt(FirstCheckAt(_time.GetUtcNow(), spec.Interval))
            .WithSimpleSchedule(s => s.WithInterval(spec.Interval).RepeatForever()).Build();
        await scheduler.ScheduleJob(job, trigger, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// When a check with this interval first runs: min(interval, 5 s) from now, rounded up to a multiple of that (since the
    /// epoch), so before twice that. Checks then fire on a shared grid: those of equal interval scheduled together (a stack's
    /// services, every stack at the daemon's start) fire at the same instants, and Quartz wakes once for all of them:
    /// 0.13-0.14 ms of CPU per firing instead of 0.45-0.66 ms with a phase per check (bench compare-quartz-firing).
    /// </summary>
    internal static DateTimeOffset FirstCheckAt(DateTimeOffset now, TimeSpan interval)
    {
        TimeSpan first = interval < FirstCheckAtMost ? interval : FirstCheckAtMost;
        if (first <= TimeSpan.Zero)
        {
            return now;
        }
        long earliest = (now + first).UtcTicks;
        long grid = first.Ticks;
        long aligned = (earliest + grid - 1) / grid * grid;
        return new DateTimeOffset(aligned, TimeSpan.Zero);
    }

    private async Task ScheduleActionAsync(IScheduler scheduler, JobKey key, string stack, ScheduleSpec schedule, CancellationToken cancellationToken)
    {
        IJobDetail job = JobBuilder.Create<ScheduledActionJob>().WithIdentity(key).UsingJobData("stack", stack).UsingJobData("name", schedule.Name)
            .UsingJobData("why", $"cron {schedule.Cron}").Build();
        ITrigger trigger = TriggerBuilder.Create(_time).WithIdentity(key.Name, key.Group)
            .WithCronSchedule(schedule.Cron, c => c.WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed)).Build();
        await scheduler.ScheduleJob(job, trigger, cancellationToken: cancellationToken);

        (DateTimeOffset? lastRun, DateTimeOffset registered) = await runner.RegisterAsync(stack, schedule, cancellationToken);
        if (MisfirePolicy.MissedSince(schedule.Cron, lastRun, registered, _time.GetUtcNow()) is DateTimeOffset missed)
        {
            await scheduler.TriggerJob(key, new JobDataMap { ["why"] = $"missed at {missed:yyyy-MM-dd HH:mm} while the daemon was down (runs once, then on time)" },
                cancellationToken);
        }
    }
}
