using Appliance.Netfilter.Errors;
using Appliance.Netfilter.Firewalld;
using Appliance.Netfilter.Nftables;

namespace Appliance.Netfilter.Backends;

/// <summary>
/// Selects a firewall backend by name: "nftables", "firewalld" or "none", or "auto" (the default
/// of <c>--firewall-backend</c>): firewalld when its bus name is owned on the bus, nftables
/// otherwise. An unknown name is an error that lists the valid ones.
/// </summary>
public static class FirewallBackends
{
    public const string Auto = "auto";
    public const string Nftables = "nftables";
    public const string Firewalld = "firewalld";
    public const string None = "none";

    /// <summary>The backends themselves.</summary>
    public static IReadOnlyList<string> Names { get; } = [Nftables, Firewalld, None];

    /// <summary>What <c>--firewall-backend</c> accepts: <see cref="Auto"/> and <see cref="Names"/>.</summary>
    public static IReadOnlyList<string> Choices { get; } = [Auto, Nftables, Firewalld, None];

    /// <summary>
    /// Creates the backend named <paramref name="name"/> (not "auto": see <see cref="SelectAsync"/>);
    /// an unknown name lists the valid ones. The firewalld backend connects to the bus: use <see cref="CreateAsync"/>.
    /// </summary>
    public static IFirewallBackend Create(string name, NftablesBackendOptions? options = null) => name switch
    {
        Nftables => new NftablesBackend(options ?? new NftablesBackendOptions()),
        None => new NoFirewallBackend(),
        Firewalld => throw new FirewallBackendException("the firewalld backend connects to D-Bus; create it with FirewallBackends.CreateAsync"),
        _ => throw Unknown(name),
    };

    /// <summary>Creates the backend named <paramref name="name"/>, "auto" included (resolved with <see cref="SelectAsync"/>).</summary>
    public static async Task<IFirewallBackend> CreateAsync(string name, NftablesBackendOptions? nftables = null,
        FirewalldOptions? firewalld = null, CancellationToken cancellationToken = default)
    {
        string selected = await SelectAsync(name, firewalld?.BusAddress, cancellationToken);
        return selected == Firewalld
            ? await FirewalldBackend.CreateAsync(firewalld ?? new FirewalldOptions(), nftables ?? new NftablesBackendOptions(), cancellationToken)
            : Create(selected, nftables);
    }

    /// <summary>
    /// Resolves a name to a backend: an explicit one as is, "auto" by asking the bus at
    /// <paramref name="busAddress"/> (null = the system bus) whether firewalld runs.
    /// </summary>
    public static async Task<string> SelectAsync(string name, string? busAddress = null, CancellationToken cancellationToken = default)
    {
        string normalized = name.Trim().ToLowerInvariant();
        if (normalized == Auto)
        {
            return await IsFirewalldRunningAsync(busAddress, cancellationToken) ? Firewalld : Nftables;
        }
        return Names.Contains(normalized) ? normalized : throw Unknown(name);
    }

    /// <summary>True when firewalld owns its name on the bus; false when it does not or there is no bus at all.</summary>
    public static async Task<bool> IsFirewalldRunningAsync(string? busAddress = null, CancellationToken cancellationToken = default)
    {
        try
        {
            await using FirewalldClient client = await FirewalldClient.ConnectAsync(busAddress, cancellationToken);
            return await client.IsRunningAsync(cancellationToken);
        }
        catch (FirewalldUnavailableException)
        {
            return false; // no system bus (containers, minimal VPS images): no firewalld either
        }
    }

    private static FirewallBackendException Unknown(string name) => new(
        $"unknown firewall backend '{name}'; valid backends are: {string.Join(", ", Choices.Select(n => $"\"{n}\""))} (e.g. --firewall-backend nftables)");
}
