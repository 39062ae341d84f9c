using Quartz;

namespace Appliance.Web.Hosting;

/// <summary>
/// Builds and starts Quartz's scheduler (health checks, schedules) once the daemon serves (<see cref="AfterServing"/>), instead of before, as Quartz's
/// own hosted service does: building it costs ~100 ms of start-up (docs/performance.md, Daemon), and nothing is due before
/// the reconcile loop has put the stacks' jobs on it. Jobs added meanwhile wait for the start; a failure to start is
/// logged and recorded as an alert, and the daemon goes on serving.
/// </summary>
internal sealed class SchedulerStarter(ISchedulerFactory factory, IHostApplicationLifetime lifetime, Appliance.Orchestrator.Events.EventLog events,
    ILogger<SchedulerStarter> logger) : IHostedService
{
    private Task _started = Task.CompletedTask;
    private IScheduler? _scheduler;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _started = Task.Run(StartSchedulerAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StartSchedulerAsync()
    {
        try
        {
            await AfterServing.WaitAsync(lifetime, AfterServing.Delay, lifetime.ApplicationStopping);
            _scheduler = await factory.GetScheduler(lifetime.ApplicationStopping);
            await _scheduler.Start(lifetime.ApplicationStopping);
        }
        catch (Exception e) when (!lifetime.ApplicationStopping.IsCancellationRequested)
        {
            DaemonLog.SchedulerFailed(logger, e);
            await events.PublishAsync(Appliance.Orchestrator.Events.EventKind.Alert, null, null,
                "the scheduler did not start: no health checks or scheduled actions run", e.Message, CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            // the daemon stopped first
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _started;
        if (_scheduler is not null)
        {
            await _scheduler.Shutdown(waitForJobsToComplete: false, cancellationToken);
        }
    }
}
