using Appliance.Netfilter.Intent;

namespace Appliance.Netfilter.Backends;

/// <summary>
/// Where a <see cref="FirewallIntent"/> becomes real: nftables (Appliance's own table), firewalld
/// (over D-Bus, when firewalld owns the host policy) or none. Selected by name with
/// <see cref="FirewallBackends.Create"/>.
/// </summary>
public interface IFirewallBackend : IAsyncDisposable
{
    /// <summary>"nftables", "firewalld" or "none".</summary>
    string Name { get; }

    /// <summary>
    /// Makes the firewall match <paramref name="intent"/> in one atomic change (only the elements
    /// that differ when the table's shape is unchanged). A change that removes or narrows the
    /// owner's access (admin UI, SSH) is applied pending: it is rolled back after the confirm
    /// window unless <see cref="ConfirmAsync"/> is called, also if this process dies meanwhile.
    /// </summary>
    Task<FirewallApplyResult> ApplyAsync(FirewallIntent intent, CancellationToken cancellationToken = default);

    /// <summary>Keeps a pending change (see <see cref="FirewallApplyResult.PendingUntil"/>). No-op when none is pending.</summary>
    Task ConfirmAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes everything this backend applied (Appliance's table, zone, ...).</summary>
    Task RemoveAsync(CancellationToken cancellationToken = default);
}
