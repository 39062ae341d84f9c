using Quartz;

namespace Appliance.Orchestrator.Health.Schedules;

/// <summary>The Quartz job of one schedule (job data: stack, name). <see cref="DisallowConcurrentExecutionAttribute"/>: a run
/// that is still going when the next fire time comes delays that one instead of overlapping it.</summary>
[DisallowConcurrentExecution]
public sealed class ScheduledActionJob(SupervisionScheduler scheduler, ScheduleRunner runner) : IJob
{
    public const string Group = "schedule";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        string stack = context.MergedJobDataMap.GetString("stack")!;
        string name = context.MergedJobDataMap.GetString("name")!;
        string why = context.MergedJobDataMap.GetString("why") ?? "scheduled";
        if (scheduler.FindSchedule(stack, name) is { } spec)
        {
            await runner.RunAsync(stack, spec, why, cancellationToken);
        }
    }
}
