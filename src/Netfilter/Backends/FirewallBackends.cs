using Appliance.Netfilter.Errors;
using Appliance.Netfilter.Nftables;

namespace Appliance.Netfilter.Backends;

/// <summary>Selects a firewall backend by name: "nftables", "firewalld" or "none".</summary>
public static class FirewallBackends
{
    public const string Nftables = "nftables";
    public const string Firewalld = "firewalld";
    public const string None = "none";

    public static IReadOnlyList<string> Names { get; } = [Nftables, Firewalld, None];

    /// <summary>Creates the backend named <paramref name="name"/>; an unknown name lists the valid ones.</summary>
    public static IFirewallBackend Create(string name, NftablesBackendOptions? options = null) => name switch
    {
        Nftables => new NftablesBackend(options ?? new NftablesBackendOptions()),
        None => new NoFirewallBackend(),
        // The firewalld backend (D-Bus) is built in src/Netfilter/Firewalld; it plugs in here.
        Firewalld => throw new FirewallBackendException("the firewalld backend is not available in this build; use \"nftables\" or \"none\""),
        _ => throw new FirewallBackendException(
            $"unknown firewall backend '{name}'; valid backends are: {string.Join(", ", Names.Select(n => $"\"{n}\""))}"),
    };
}
