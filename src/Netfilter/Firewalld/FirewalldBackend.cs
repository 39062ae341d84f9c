using System.Net;
using Appliance.Netfilter.Backends;
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

    public async Task<FirewallApplyResult> ApplyAsync(FirewallIntent intent, CancellationToken cancellationToken = default)
    {
        FirewallIntentValidator.ThrowIfInvalid(intent);
        FirewallApplyResult table = await Table.ApplyAsync(TableIntent(intent), cancellationToken);
        FirewalldApplyResult firewalld = await Sync.ApplyAsync(intent, cancellationToken);
        LastFirewalldChange = firewalld;
        return table with { Commands = table.Commands + firewalld.Changes.Count };
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

    public Task ConfirmAsync(CancellationToken cancellationToken = default) => Table.ConfirmAsync(cancellationToken);

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
        await Sync.DisposeAsync();
        await Table.DisposeAsync();
    }
}
