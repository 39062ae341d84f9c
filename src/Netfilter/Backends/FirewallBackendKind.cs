namespace Appliance.Netfilter.Backends;

/// <summary>Which firewall Appliance programs. Wire names: <c>nftables</c>, <c>firewalld</c>, <c>none</c> (and <c>auto</c> for the choice).</summary>
public enum FirewallBackendKind
{
    /// <summary>Appliance's own nftables table only (no firewalld running).</summary>
    Nftables,

    /// <summary>firewalld owns the host policy: Appliance's zone and policies over D-Bus, plus its own table for DNAT and masquerade.</summary>
    Firewalld,

    /// <summary>Appliance writes no firewall rules at all (the owner manages the firewall by hand).</summary>
    None,
}
