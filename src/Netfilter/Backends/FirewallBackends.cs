using Appliance.Netfilter.Firewalld;

namespace Appliance.Netfilter.Backends;

/// <summary>
/// Selecting the firewall backend by name (<c>--firewall-backend</c>): <c>auto</c> (the default)
/// picks firewalld when its bus name is owned on the bus, nftables otherwise. An unknown name is
/// an error that lists the valid ones.
/// </summary>
public static class FirewallBackends
{
    public const string Auto = "auto";

    /// <summary>The names <see cref="Parse"/> accepts, in the order help texts show them.</summary>
    public static IReadOnlyList<string> Names { get; } = [Auto, "nftables", "firewalld", "none"];

    public static string NameOf(FirewallBackendKind kind) => kind switch
    {
        FirewallBackendKind.Nftables => "nftables",
        FirewallBackendKind.Firewalld => "firewalld",
        _ => "none",
    };

    /// <summary>The backend a name asks for; null for <c>auto</c> (decided by <see cref="SelectAsync"/>).</summary>
    public static FirewallBackendKind? Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        Auto or "" => null,
        "nftables" => FirewallBackendKind.Nftables,
        "firewalld" => FirewallBackendKind.Firewalld,
        "none" => FirewallBackendKind.None,
        _ => throw new ArgumentException(
            $"'{name}' is not a firewall backend; expected one of: {string.Join(", ", Names)} (e.g. --firewall-backend nftables)", nameof(name)),
    };

    /// <summary>
    /// Resolves a backend name: an explicit one as is (firewalld must then be reachable), <c>auto</c>
    /// by asking the bus at <paramref name="busAddress"/> (null = system bus) whether firewalld runs.
    /// </summary>
    public static async Task<FirewallBackendKind> SelectAsync(string name, string? busAddress = null, CancellationToken cancellationToken = default)
    {
        FirewallBackendKind? requested = Parse(name);
        if (requested is { } kind)
        {
            return kind;
        }
        return await IsFirewalldRunningAsync(busAddress, cancellationToken) ? FirewallBackendKind.Firewalld : FirewallBackendKind.Nftables;
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
}
