using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Health;
using Appliance.Orchestrator.Reconcile;
using Appliance.Orchestrator.State;

namespace Appliance.Web.Hosting;

/// <summary>
/// Records the daemon's start and stop as events and, when an engine is registered, resumes interrupted plans and
/// runs the reconcile loop: once at start (boot rules for restart policies), then every <see cref="DaemonOptions.ReconcileInterval"/>,
/// or sooner when a restart that waits out its backoff is due.
/// It runs after the API is serving, so a slow engine never delays start-up.
/// </summary>
public sealed class DaemonLifecycle(DaemonOptions options, EventLog events, IServiceProvider services, ILogger<DaemonLifecycle> logger) : BackgroundService
{
    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await events.PublishAsync(EventKind.Daemon, null, null, "daemon started",
            $"pid {Environment.ProcessId}, version {DaemonApi.Version}, state '{options.StateDir}'", stoppingToken);
        Deployer? deployer = services.GetService<Deployer>();
        Reconciler? reconciler = services.GetService<Reconciler>();
        if (deployer is null || reconciler is null)
        {
            DaemonLog.NoEngine(logger);
            return;
        }
        bool atStart = true;
        TimeProvider time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        while (true)
        {
            TimeSpan wait = options.ReconcileInterval;
            try
            {
                foreach (DeployResult resumed in await deployer.RecoverAsync(stoppingToken))
                {
                    DaemonLog.Resumed(logger, resumed.Stack, resumed.Message);
                }
                ReconcileReport report = await reconciler.ReconcileAsync(atStart, stoppingToken);
                foreach (string action in report.Actions)
                {
                    DaemonLog.ReconcileAction(logger, action);
                }
                if (report.NextRestartAt is DateTimeOffset due)
                {
                    // A restart waiting out its backoff runs when it is due, not at the next full interval.
                    TimeSpan untilDue = due - time.GetUtcNow();
                    wait = untilDue < MinimumWait ? MinimumWait : untilDue < wait ? untilDue : wait;
                }
                await SuperviseAsync(stoppingToken);
                atStart = false;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                DaemonLog.ReconcileFailed(logger, e);
            }
            await Task.Delay(wait, time, stoppingToken);
        }
    }

    private readonly HashSet<(string, int)> _unsupervised = [];
    private int _stopped;

    /// <summary>Health checks and schedules follow the deployed stacks (their current versions).</summary>
    private async Task SuperviseAsync(CancellationToken cancellationToken)
    {
        if (services.GetService<SupervisionScheduler>() is not { } scheduler)
        {
            return;
        }
        IStackModelReader models = services.GetRequiredService<IStackModelReader>();
        var current = new List<StackModel>();
        foreach (StackRecord stack in await services.GetRequiredService<StackRepository>().ListStacksAsync(cancellationToken))
        {
            try
            {
                current.Add(models.Read(new StackDeployment(stack.Name, stack.Version, stack.StackFile, stack.Parameters)));
            }
            catch (InvalidOperationException e) when (_unsupervised.Add((stack.Name, stack.Version)))
            {
                await events.PublishAsync(EventKind.Alert, stack.Name, null, "not supervised: its stack file does not load", e.Message, cancellationToken);
            }
        }
        await scheduler.SyncAsync(current, cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }
        await events.PublishAsync(EventKind.Daemon, null, null, "daemon stopping", "asked to stop (SIGTERM or Ctrl-C)", cancellationToken);
    }
}
