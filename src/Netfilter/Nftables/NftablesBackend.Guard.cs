using System.Diagnostics;
using Appliance.Netfilter.Intent;

namespace Appliance.Netfilter.Nftables;

public sealed partial class NftablesBackend
{
    private PendingChange? _pending;
    private Timer? _pendingTimer;

    /// <summary>The last confirmed state, its rollback file and the marker that stands the guard down.</summary>
    private sealed record PendingChange(FirewallIntent? Previous, CompiledRuleset? PreviousRuleset, string RollbackFile,
        string Marker, DateTimeOffset Until);

    /// <summary>
    /// Before a change that cuts the owner's access: writes the last confirmed table as a
    /// transaction file and starts a detached guard (<c>setsid sh -c '... sleep ...; nsenter nft -j -f'</c>)
    /// that restores it after the window unless the marker file appears (or the namespace is gone). The guard does not depend on
    /// this process: if Appliance dies in the window, the owner still gets their access back.
    /// While this process lives, it rolls back itself at the end of the window (and stands the
    /// guard down with the marker), so both never race with later changes.
    /// </summary>
    private DateTimeOffset BeginPending(string what)
    {
        DateTimeOffset until = DateTimeOffset.UtcNow + _options.ConfirmWindow;
        if (_pending is not null)
        {
            // Already pending: keep rolling back to the last confirmed state, on the first deadline.
            Log.Pending(_logger, what, _pending.Until);
            return _pending.Until;
        }
        Directory.CreateDirectory(_options.StateDirectory);
        string id = Guid.NewGuid().ToString("n")[..12];
        string rollbackFile = Path.Combine(_options.StateDirectory, $"rollback-{id}.json");
        string marker = Path.Combine(_options.StateDirectory, $"confirmed-{id}");
        string table = _applied!.Table;
        File.WriteAllText(rollbackFile, _applied.FullTransaction().ToJsonString(NftJson.Compact));
        // Ticks of 0.5 s: the guard stands down as soon as the marker appears (confirm, or the
        // daemon rolled back itself) or the namespace is gone, so it never lingers needlessly.
        int ticks = (int)Math.Ceiling((_options.ConfirmWindow + TimeSpan.FromSeconds(2)).TotalSeconds * 2);
        string ns = Quote(_options.Namespace.Path);
        string script =
            $"i=0; while [ $i -lt {ticks} ]; do [ -e {Quote(marker)} ] && break; [ -e {ns} ] || break; sleep 0.5; i=$((i+1)); done; " +
            $"if [ $i -ge {ticks} ] && [ ! -e {Quote(marker)} ] && [ -e {ns} ]; then nsenter --net={ns} nft -j -f {Quote(rollbackFile)}; fi; " +
            $"rm -f {Quote(rollbackFile)} {Quote(marker)}";
        var psi = new ProcessStartInfo("setsid") { UseShellExecute = false };
        foreach (string arg in new[] { "-f", "/bin/sh", "-c", script, $"appliance-fw-rollback-guard {table}" })
        {
            psi.ArgumentList.Add(arg);
        }
        using (Process.Start(psi) ?? throw new InvalidOperationException("could not start the firewall rollback guard (setsid)"))
        {
        }
        _pending = new PendingChange(_appliedIntent, _applied, rollbackFile, marker, until);
        _pendingTimer = new Timer(_ => _ = RollBackAsync(), null, _options.ConfirmWindow, Timeout.InfiniteTimeSpan);
        Log.Pending(_logger, what, until);
        return until;
    }

    public async Task ConfirmAsync(CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_pending is not null)
            {
                CancelPending();
                Log.Confirmed(_logger);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Whether a change is waiting for its confirm, and until when.</summary>
    public DateTimeOffset? PendingUntil => _pending?.Until;

    private async Task RollBackAsync()
    {
        await _lock.WaitAsync();
        try
        {
            PendingChange? pending = _pending;
            if (pending?.PreviousRuleset is null)
            {
                return;
            }
            NftContext context = await ContextAsync(CancellationToken.None);
            await context.RunAsync(pending.PreviousRuleset.FullTransaction(), $"roll back table inet {pending.PreviousRuleset.Table}");
            _applied = pending.PreviousRuleset;
            _appliedIntent = pending.Previous;
            CancelPending();
            Log.RolledBack(_logger, _options.ConfirmWindow);
        }
        catch (Exception e)
        {
            // The detached guard still restores the table: leave its marker absent.
            Log.RestoreFailed(_logger, _applied?.Table ?? "?", _options.Namespace.Path, e);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Stands the guard down (marker) and forgets the pending change. Call under the lock.</summary>
    private void CancelPending()
    {
        if (_pending is null)
        {
            return;
        }
        File.WriteAllText(_pending.Marker, "");
        _pendingTimer?.Dispose();
        _pendingTimer = null;
        _pending = null;
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
