using System.Text.Json.Nodes;

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

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.DriftPollInterval);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            await CheckDriftAsync(cancellationToken);
        }
    }

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
