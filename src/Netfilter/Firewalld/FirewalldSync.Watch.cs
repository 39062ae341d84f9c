using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Appliance.Netfilter.Firewalld;

/// <summary>One re-apply after firewalld reloaded or (re)started: what triggered it, what changed, or why it failed.</summary>
public sealed record FirewalldReapply(FirewalldEventKind Trigger, FirewalldApplyResult? Result, Exception? Error, TimeSpan SinceEvent);

// Reload safety: after a Reloaded signal or firewalld's bus name changing owner, verify and re-apply.
public sealed partial class FirewalldSync
{
    private IAsyncDisposable? _watch;
    private int _pending;
    private readonly CancellationTokenSource _stopping = new();
    private Task _reapplying = Task.CompletedTask;

    /// <summary>Raised (on a pool thread) after each re-apply triggered by firewalld.</summary>
    public event Action<FirewalldReapply>? Reapplied;

    /// <summary>Starts listening for firewalld's reloads and restarts. Idempotent.</summary>
    public async Task StartWatchingAsync(CancellationToken cancellationToken = default)
    {
        _watch ??= await _client.WatchAsync(OnFirewalldEvent, cancellationToken);
    }

    public async Task StopWatchingAsync()
    {
        if (_watch is { } watch)
        {
            _watch = null;
            await watch.DisposeAsync();
        }
        await _stopping.CancelAsync();
        try
        {
            await _reapplying;
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    private void OnFirewalldEvent(FirewalldEventKind kind)
    {
        if (kind == FirewalldEventKind.Stopped)
        {
            Log.Stopped(_logger, _client.Address);
            return; // nothing to talk to; the Started that follows re-applies
        }
        // Coalesce bursts (a restart is Stopped, Started, and often a Reloaded): one run at a time,
        // and one more after it if events came in meanwhile.
        if (Interlocked.Exchange(ref _pending, 1) == 1)
        {
            return;
        }
        var since = Stopwatch.StartNew();
        _reapplying = Task.Run(() => ReapplyAsync(kind, since, _stopping.Token));
    }

    private async Task ReapplyAsync(FirewalldEventKind trigger, Stopwatch since, CancellationToken cancellationToken)
    {
        await Task.Delay(Options.ReapplyDelay, cancellationToken);
        // firewalld owns its bus name before it has finished starting; retry until it answers.
        TimeSpan delay = TimeSpan.FromMilliseconds(100);
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            Volatile.Write(ref _pending, 0);
            try
            {
                FirewalldApplyResult result = await ReapplyOnceAsync(cancellationToken);
                if (result.Changed)
                {
                    Log.Restored(_logger, trigger, since.Elapsed.TotalMilliseconds, string.Join("; ", result.Changes));
                }
                else
                {
                    Log.Intact(_logger, trigger);
                }
                Reapplied?.Invoke(new FirewalldReapply(trigger, result, null, since.Elapsed));
                if (Volatile.Read(ref _pending) == 0)
                {
                    return;
                }
                trigger = FirewalldEventKind.Reloaded;
            }
            catch (FirewalldException) when (DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.ReapplyFailed(_logger, trigger, e);
                Reapplied?.Invoke(new FirewalldReapply(trigger, null, e, since.Elapsed));
                return;
            }
        }
    }

    private async Task<FirewalldApplyResult> ReapplyOnceAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return _intent is null
                ? new FirewalldApplyResult([], TimeSpan.Zero)
                : await ConvergeAsync(FirewalldPlan.From(_intent, Options), cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }
}
