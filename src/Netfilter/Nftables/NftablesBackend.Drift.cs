using System.Text.Json.Nodes;
using Appliance.Netfilter.Errors;
using Appliance.Netfilter.Linux;

namespace Appliance.Netfilter.Nftables;

public sealed partial class NftablesBackend
{
    private void StartWatch()
    {
        if (_watchTask is not null || _options.DriftPollInterval <= TimeSpan.Zero)
        {
            return;
        }
        _watch = new CancellationTokenSource();
        CancellationToken token = _watch.Token;
        _watchTask = Task.Run(() => WatchAsync(token));
    }

    private async Task StopWatchAsync()
    {
        if (_watch is null)
        {
            return;
        }
        await _watch.CancelAsync();
        try
        {
            await _watchTask!;
        }
        catch (OperationCanceledException)
        {
        }
        _watch.Dispose();
        _watch = null;
        _watchTask = null;
    }

    /// <summary>
    /// Compares the table the moment nftables reports a change in the namespace (its netlink events: an idle box costs
    /// nothing), and every <see cref="NftablesBackendOptions.DriftPollInterval"/> besides. Without the events (the socket
    /// could not be opened) it polls every <see cref="FallbackPollInterval"/>.
    /// </summary>
    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        NftablesEvents? events = null;
        if (_options.DriftEvents)
        {
            try
            {
                events = await NftablesEvents.OpenAsync(_options.Namespace, cancellationToken);
            }
            catch (Exception e) when (e is NamespaceException or System.Net.Sockets.SocketException or IOException)
            {
                Log.NoDriftEvents(_logger, _options.Namespace.Path, e);
            }
        }
        _watchReady.TrySetResult();
        using (events)
        {
            TimeSpan poll = events is null && _options.DriftPollInterval > FallbackPollInterval ? FallbackPollInterval : _options.DriftPollInterval;
            long lastCheck = 0;
            while (true)
            {
                if (events is null)
                {
                    await Task.Delay(poll, cancellationToken);
                }
                else if (await events.WaitAsync(poll, cancellationToken) && lastCheck != 0
                    && System.Diagnostics.Stopwatch.GetElapsedTime(lastCheck) is var since && since < MinimumCheckGap)
                {
                    // Another process changed nftables right after the last comparison: compare once the gap has passed (a
                    // tool that changes its own tables many times a second costs one listing per gap, not one per change).
                    await Task.Delay(MinimumCheckGap - since, cancellationToken);
                }
                lastCheck = System.Diagnostics.Stopwatch.GetTimestamp();
                Interlocked.Increment(ref _watchComparisons);
                try
                {
                    await CheckDriftAsync(cancellationToken);
                }
                catch (Exception e) when (e is NftablesException or NamespaceException or IOException)
                {
                    Log.DriftCheckFailed(_logger, _options.Namespace.Path, e);
                }
            }
        }
    }

    /// <summary>How often the table is compared when the namespace's nftables events cannot be read.</summary>
    internal static readonly TimeSpan FallbackPollInterval = TimeSpan.FromMilliseconds(500);

    private int _watchComparisons;
    private readonly TaskCompletionSource _watchReady = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the watch listens (its events subscribed, or the fallback poll chosen).</summary>
    internal Task WatchReady => _watchReady.Task;

    /// <summary>How many comparisons the watch has started (for tests of how often it wakes).</summary>
    internal int WatchComparisons => Volatile.Read(ref _watchComparisons);

    /// <summary>The least time between two comparisons woken by events: never more often than the old 500 ms poll.</summary>
    internal static readonly TimeSpan MinimumCheckGap = TimeSpan.FromMilliseconds(500);

    /// <summary>Compares the live table with what was applied; restores it when they differ. Returns the drift, if any.</summary>
    public async Task<FirewallDrift?> CheckDriftAsync(CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            CompiledRuleset? applied = _applied;
            if (applied is null)
            {
                return null;
            }
            NftContext context = await ContextAsync(cancellationToken);
            JsonArray? live = await context.ListTableAsync(applied.Table, cancellationToken);
            FirewallDrift? drift = RulesetSignature.Compare(applied, live);
            if (drift is null)
            {
                return null;
            }
            Log.Drift(_logger, _options.Namespace.Path, applied.Table, drift);
            try
            {
                await context.RunAsync(applied.FullTransaction(), $"restore table inet {applied.Table}", cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.RestoreFailed(_logger, applied.Table, _options.Namespace.Path, e);
                return drift;
            }
            lock (_drifts)
            {
                _drifts.Add(drift);
            }
            DriftRestored?.Invoke(drift);
            return drift;
        }
        finally
        {
            _lock.Release();
        }
    }
}
