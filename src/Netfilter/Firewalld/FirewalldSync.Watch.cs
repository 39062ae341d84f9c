using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Appliance.Netfilter.Firewalld;

/// <summary>One re-apply after firewalld reloaded or (re)started: what triggered it, what changed, or why it failed.</summary>
public sealed record FirewalldReapply(FirewalldEventKind Trigger, FirewalldApplyResult? Result, Exception? Error, TimeSpan SinceEvent);

// Reload safety: after a Reloaded signal or firewalld's bus name changing owner, verify and re-apply.
public sealed partial class FirewalldSync
{
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _eventLock = new();
    private IAsyncDisposable? _watch;
    private Task? _loop;
    private FirewalldEventKind _trigger;
    private long _eventTimestamp;

    /// <summary>Raised (on a pool thread) after each re-apply triggered by firewalld.</summary>
    public event Action<FirewalldReapply>? Reapplied;

    /// <summary>Starts listening for firewalld's reloads and restarts. Idempotent.</summary>
    public async Task StartWatchingAsync(CancellationToken cancellationToken = default)
    {
        _watch ??= await _client.WatchAsync(OnFirewalldEvent, cancellationToken);
        _loop ??= Task.Run(() => ReapplyLoopAsync(_stopping.Token));
    }

    public async Task StopWatchingAsync()
    {
        if (_watch is { } watch)
        {
            _watch = null;
            await watch.DisposeAsync();
        }
        await _stopping.CancelAsync();
        if (_loop is { } loop)
        {
            try
            {
                await loop;
            }
            catch (OperationCanceledException)
            {
                // stopping
            }
        }
    }

    private void OnFirewalldEvent(FirewalldEventKind kind)
    {
        if (kind == FirewalldEventKind.Stopped)
        {
            Log.Stopped(_logger, _client.Address);
            return; // nothing to talk to; the Started that follows re-applies
        }
        lock (_eventLock)
        {
            _trigger = kind;
            _eventTimestamp = Stopwatch.GetTimestamp();
        }
        // One worker; a burst (a restart is Stopped, Started and often Reloaded) becomes one pass,
        // plus one more if events come in while a pass runs.
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // already signalled
            }
        }
    }

    private async Task ReapplyLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _signal.WaitAsync(cancellationToken);
            await Task.Delay(Options.ReapplyDelay, cancellationToken);
            FirewalldEventKind trigger;
            long since;
            lock (_eventLock)
            {
                (trigger, since) = (_trigger, _eventTimestamp);
            }
            await ReapplyAsync(trigger, since, cancellationToken);
        }
    }

    private async Task ReapplyAsync(FirewalldEventKind trigger, long since, CancellationToken cancellationToken)
    {
        // firewalld owns its bus name before it has finished starting; retry until it answers.
        TimeSpan delay = TimeSpan.FromMilliseconds(100);
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                FirewalldApplyResult result = await ReapplyOnceAsync(cancellationToken);
                if (result.Changed)
                {
                    Log.Restored(_logger, trigger, Stopwatch.GetElapsedTime(since).TotalMilliseconds, string.Join("; ", result.Changes));
                }
                else
                {
                    Log.Intact(_logger, trigger);
                }
                Reapplied?.Invoke(new FirewalldReapply(trigger, result, null, Stopwatch.GetElapsedTime(since)));
                return;
            }
            catch (FirewalldException) when (DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.ReapplyFailed(_logger, trigger, e);
                Reapplied?.Invoke(new FirewalldReapply(trigger, null, e, Stopwatch.GetElapsedTime(since)));
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
