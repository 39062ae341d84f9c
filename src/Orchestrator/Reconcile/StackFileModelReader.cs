using Appliance.Orchestrator.Health;
using Appliance.Orchestrator.Health.Schedules;
using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.Stacks.Resolved;

namespace Appliance.Orchestrator.Reconcile;

/// <summary>
/// <see cref="IStackModelReader"/> over the stacks library: loads the deployed stack file with its parameters and maps
/// restart policies, health checks (exec and shell; an image's own HEALTHCHECK is not run yet), depends_on,
/// <c>x-appliance.autoheal</c> and <c>x-appliance.schedules</c> (cron converted with <see cref="UnixCron"/>).
/// </summary>
public sealed class StackFileModelReader(string stateDir) : IStackModelReader
{
    public StackModel Read(StackDeployment deployment)
    {
        StackLoadResult loaded = StackLoader.LoadFromText(deployment.StackFile, StackFiles.PathOf(stateDir, deployment.Stack), deployment.Parameters);
        if (loaded.Stack is not { } stack)
        {
            throw new InvalidOperationException($"the deployed stack file of '{deployment.Stack}' (version {deployment.Version}) no longer loads: " +
                string.Join("; ", loaded.Errors.Take(3).Select(e => e.ToString())));
        }
        return new StackModel(deployment.Stack, deployment.Version, [.. stack.Services.Select(Service)], [.. stack.Schedules.Select(Schedule)]);
    }

    private static ServiceModel Service(ResolvedService service) => new(
        service.Name,
        Health.RestartPolicy.Parse(service.Restart.ToString()),
        service.Healthcheck is { Kind: HealthcheckKind.Exec or HealthcheckKind.Shell } check
            ? new HealthCheckSpec
            {
                Kind = ProbeKind.Exec,
                Command = check.Test,
                Interval = check.Interval,
                Timeout = check.Timeout,
                Retries = check.Retries,
                StartPeriod = check.StartPeriod,
            }
            : null,
        [.. service.DependsOn.Select(d => d.Service)],
        new Health.AutohealPolicy
        {
            Enabled = service.Autoheal.Enabled,
            BreakerFailures = service.Autoheal.MaxRestarts,
            BreakerWindow = service.Autoheal.Window,
            Backoff = new ExponentialBackoff(service.Autoheal.Backoff, TimeSpan.FromTicks(Math.Max(service.Autoheal.Backoff.Ticks * 16, TimeSpan.FromMinutes(5).Ticks))),
        });

    private static ScheduleSpec Schedule(ResolvedSchedule schedule) => new(
        schedule.Name,
        UnixCron.ToQuartz(schedule.Cron),
        schedule.Action switch
        {
            Stacks.ScheduleAction.Restart => Health.Schedules.ScheduleAction.Restart,
            Stacks.ScheduleAction.UpdateCheck => Health.Schedules.ScheduleAction.UpdateCheck,
            _ => Health.Schedules.ScheduleAction.Command,
        },
        schedule.Service,
        schedule.Command);
}
