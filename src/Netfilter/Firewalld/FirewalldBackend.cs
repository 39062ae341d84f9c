using System.Net;
using Appliance.Netfilter.Backends;
using Appliance.Netfilter.Errors;
using Appliance.Netfilter.Inspection;
using Appliance.Netfilter.Intent;
using Appliance.Netfilter.Nftables;

namespace Appliance.Netfilter.Firewalld;

/// <summary>
/// The backend for a box where firewalld owns the host policy. Two parts, applied in this order:
/// Appliance's own nftables table (<see cref="NftablesBackend"/>: DNAT of published ports,
/// masquerade, its drops for isolation and unallowed sources; unmatched input left to firewalld),
/// and Appliance's zone and policies in firewalld (<see cref="FirewalldSync"/>), because an accept
/// in Appliance's table cannot override firewalld's final reject. Both keep themselves in place:
/// the table against drift, the firewalld objects across firewalld reloads and restarts.
/// </summary>
public sealed class FirewalldBackend : IFirewallBackend
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private FirewallIntent? _confirmed;
    private FirewallIntent? _pending;
    private CancellationTokenSource? _pendingTimer;

    private FirewalldBackend(NftablesBackend table, FirewalldSync sync)
    {
        Table = table;
        Sync = sync;
    }

    public string Name => FirewallBackends.Firewalld;

    /// <summary>Appliance's own table.</summary>
    public NftablesBackend Table { get; }

    /// <summary>Appliance's zone and policies in firewalld.</summary>
    public FirewalldSync Sync { get; }

    /// <summary>What the last apply changed in firewalld.</summary>
    public FirewalldApplyResult? LastFirewalldChange { get; private set; }

    /// <summary>Connects to firewalld (refusing setups Appliance cannot work with) and starts watching it for reloads and restarts.</summary>
    public static async Task<FirewalldBackend> CreateAsync(FirewalldOptions firewalld, NftablesBackendOptions nftables,
        CancellationToken cancellationToken = default)
    {
        FirewalldSync sync = await FirewalldSync.CreateAsync(firewalld, cancellationToken);
        try
        {
            await sync.StartWatchingAsync(cancellationToken);
            return new FirewalldBackend(new NftablesBackend(nftables), sync);
        }
        catch
        {
            await sync.DisposeAsync();
            throw;
        }
    }

    /// <summary>The intent as Appliance's own table sees it under firewalld: the host's input is firewalld's to decide.</summary>
    public static FirewallIntent TableIntent(FirewallIntent intent) => intent with { DropUnmatchedInput = false };

    /// <summary>
    /// Applies Appliance's table, then firewalld's objects. A change that cuts the owner's access
    /// (admin UI, SSH) is pending in both: the table rolls itself back after the confirm window
    /// (also if this process dies), and firewalld keeps the previous host services until
    /// <see cref="ConfirmAsync"/>, so an unconfirmed change never locks the owner out through firewalld.
    /// </summary>
    public async Task<FirewallApplyResult> ApplyAsync(FirewallIntent intent, CancellationToken cancellationToken = default)
    {
        FirewallIntentValidator.ThrowIfInvalid(intent);
        await _lock.WaitAsync(cancellationToken);
        try
        {
            CancelPendingTimer();
            FirewallApplyResult table = await Table.ApplyAsync(TableIntent(intent), cancellationToken);
            FirewallIntent forFirewalld = intent;
            if (_confirmed is { } previous && OwnerAccess.Lost(previous, intent) is not null)
            {
                forFirewalld = intent with { HostServices = previous.HostServices };
                _pending = intent;
                StartPendingTimer(table.PendingUntil ?? DateTimeOffset.UtcNow + Table.Options.ConfirmWindow);
            }
            else
            {
                _confirmed = intent;
                _pending = null;
            }
            FirewalldApplyResult firewalld = await Sync.ApplyAsync(forFirewalld, cancellationToken);
            LastFirewalldChange = firewalld;
            return table with { Commands = table.Commands + firewalld.Changes.Count };
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Which firewalld zone or policy decides <paramref name="flow"/> under the last applied intent.
    /// <paramref name="hostAddresses"/>: the box's own addresses, bridge addresses included.
    /// </summary>
    public async Task<FlowExplanation> ExplainAsync(FlowQuery flow, IReadOnlyCollection<IPAddress> hostAddresses,
        CancellationToken cancellationToken = default)
    {
        string defaultZone = await Sync.Client.GetDefaultZoneAsync(cancellationToken);
        return FirewalldExplainer.Explain(Sync.Intent ?? FirewallIntent.Empty, Sync.Options, hostAddresses, defaultZone, flow)
            .ToFlowExplanation(flow);
    }

    /// <summary>Keeps a pending change: Appliance's table keeps it, and firewalld gets the new host services.</summary>
    public async Task ConfirmAsync(CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            await Table.ConfirmAsync(cancellationToken);
            if (_pending is { } pending)
            {
                CancelPendingTimer();
                LastFirewalldChange = await Sync.ApplyAsync(pending, cancellationToken);
                _confirmed = pending;
                _pending = null;
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    private void StartPendingTimer(DateTimeOffset until)
    {
        var timer = new CancellationTokenSource();
        _pendingTimer = timer;
        CancellationToken token = timer.Token;
        _ = Task.Run(async () =>
        {
            try
            {
                TimeSpan wait = until - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200);
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, token);
                await _lock.WaitAsync(token);
                try
                {
                    if (_pending is not null && _confirmed is { } confirmed)
                    {
                        // Not confirmed: the table rolled back to the previous intent; firewalld follows.
                        _pending = null;
                        LastFirewalldChange = await Sync.ApplyAsync(confirmed, token);
                    }
                }
                finally
                {
                    _lock.Release();
                }
            }
            catch (OperationCanceledException)
            {
                // confirmed, superseded or disposed
            }
            catch (FirewallException)
            {
                // firewalld unreachable: its watch re-applies the intent when it is back
            }
        });
    }

    private void CancelPendingTimer()
    {
        _pendingTimer?.Cancel();
        _pendingTimer?.Dispose();
        _pendingTimer = null;
    }

    /// <summary>Removes Appliance's zone and policies from firewalld (permanent and runtime) and its own table; reports every failure.</summary>
    public async Task RemoveAsync(CancellationToken cancellationToken = default)
    {
        var failures = new List<Exception>();
        try
        {
            LastFirewalldChange = await Sync.RemoveAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            failures.Add(e);
        }
        try
        {
            await Table.RemoveAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            failures.Add(e);
        }
        if (failures.Count > 0)
        {
            throw new AggregateException("removing Appliance's firewall (firewalld backend) failed: " +
                string.Join("; ", failures.Select(f => f.Message)), failures);
        }
    }

    public async ValueTask DisposeAsync()
    {
        CancelPendingTimer();
        await Sync.DisposeAsync();
        await Table.DisposeAsync();
    }
}
