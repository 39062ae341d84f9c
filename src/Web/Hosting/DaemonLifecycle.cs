using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Health;
using Appliance.Orchestrator.Reconcile;
using Appliance.Orchestrator.State;

namespace Appliance.Web.Hosting;

/// <summary>
/// Records the daemon's start and stop as events and, when an engine is registered, resumes interrupted plans and
/// runs the reconcile loop: once at start (boot rules for restart policies), then every <see cref="DaemonOptions.ReconcileInterval"/>,
/// or sooner when a restart that waits out its backoff is due. Between full passes, the runtime's exit watch
/// (<see cref="IStackRuntime.WatchExitsAsync"/>, inotify on conmon's exit files) wakes it the moment a container exits, for a pass over
/// that stack only; the periodic pass stays as the safety net.
/// It runs after the API is serving, so a slow engine never delays start-up.
/// </summary>
public sealed class DaemonLifecycle(DaemonOptions options, EventLog events, IServiceProvider services, ILogger<DaemonLifecycle> logger) : BackgroundService
{
    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // BackgroundService runs this from the start of the hosted services: wait until the daemon serves, so that the first
        // pass (and the event write) does not take a core from the start-up on a small box. Not later: a daemon that serves has
        // recorded its start and watches for exits.
        await AfterServing.WaitAsync(services.GetService<IHostApplicationLifetime>(), TimeSpan.Zero, stoppingToken);
        await events.PublishAsync(EventKind.Daemon, null, null, "daemon started",
            $"pid {Environment.ProcessId}, version {DaemonApi.Version}, state '{options.StateDir}'", stoppingToken);
        Deployer? deployer = services.GetService<Deployer>();
        Reconciler? reconciler = services.GetService<Reconciler>();
        IStackRuntime? runtime = services.GetService<IStackRuntime>();
        if (deployer is null || reconciler is null || runtime is null)
        {
            DaemonLog.NoEngine(logger);
            return;
        }
        // Stacks with an exit not yet looked at; "" stands for "maybe any" (the watch overflowed).
        var exited = new HashSet<string>(StringComparer.Ordinal);
        var wake = new SemaphoreSlim(0);
        _ = WatchExitsAsync(runtime, exited, wake, stoppingToken);
        bool atStart = true;
        TimeProvider time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        DateTimeOffset fullDue = time.GetUtcNow();
        while (true)
        {
            string[] only;
            lock (exited)
            {
                only = [.. exited];
                exited.Clear();
            }
            bool full = atStart || time.GetUtcNow() >= fullDue || only.Contains("");
            try
            {
                if (full)
                {
                    foreach (DeployResult resumed in await deployer.RecoverAsync(stoppingToken))
                    {
                        DaemonLog.Resumed(logger, resumed.Stack, resumed.Message);
                    }
                }
                ReconcileReport report = await reconciler.ReconcileAsync(atStart, stoppingToken, full ? null : only.ToHashSet(StringComparer.Ordinal));
                foreach (string action in report.Actions)
                {
                    DaemonLog.ReconcileAction(logger, action);
                }
                if (full)
                {
                    fullDue = time.GetUtcNow() + options.ReconcileInterval;
                }
                if (report.NextRestartAt is DateTimeOffset due && due < fullDue)
                {
                    // A restart waiting out its backoff runs when it is due, not at the next full interval.
                    fullDue = due;
                }
                if (full)
                {
                    await SuperviseAsync(stoppingToken);
                }
                atStart = false;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                DaemonLog.ReconcileFailed(logger, e);
                fullDue = time.GetUtcNow() + options.ReconcileInterval;
            }
            TimeSpan wait = fullDue - time.GetUtcNow();
            await WaitAsync(wake, wait < MinimumWait ? MinimumWait : wait, time, stoppingToken);
        }
    }

    /// <summary>Until <paramref name="wait"/> has passed on <paramref name="time"/> or <paramref name="wake"/> is released.</summary>
    private static async Task WaitAsync(SemaphoreSlim wake, TimeSpan wait, TimeProvider time, CancellationToken cancellationToken)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task delay = Task.Delay(wait, time, done.Token);
        Task woken = wake.WaitAsync(done.Token);
        await Task.WhenAny(delay, woken);
        await done.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
        await Task.WhenAll(delay, woken).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task WatchExitsAsync(IStackRuntime runtime, HashSet<string> exited, SemaphoreSlim wake, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            await foreach (string? stack in runtime.WatchExitsAsync(cancellationToken))
            {
                lock (exited)
                {
                    exited.Add(stack ?? "");
                }
                if (wake.CurrentCount == 0)
                {
                    wake.Release();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // the daemon stops
        }
        catch (Exception e)
        {
            DaemonLog.ExitWatchFailed(logger, e);
            await events.PublishAsync(EventKind.Alert, null, null, "the exit watch failed; exited containers are noticed at the periodic pass only",
                e.Message, CancellationToken.None);
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
