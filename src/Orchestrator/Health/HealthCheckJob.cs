using Quartz;

namespace Appliance.Orchestrator.Health;

/// <summary>The Quartz job of one service's health check (job data: stack, service). One run at a time per service.</summary>
[DisallowConcurrentExecution]
public sealed class HealthCheckJob(HealthSupervisor supervisor) : IJob
{
    public const string Group = "health";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        string stack = context.MergedJobDataMap.GetString("stack")!;
        string service = context.MergedJobDataMap.GetString("service")!;
        await supervisor.CheckAsync(stack, service, cancellationToken);
    }
}
