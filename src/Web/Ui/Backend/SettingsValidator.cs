using System.Net;

namespace Appliance.Web.Ui.Backend;

/// <summary>Checks network settings before they are saved; names the bad entry and the fix.</summary>
public static class SettingsValidator
{
    public static readonly string[] Backends = ["nftables", "firewalld", "none"];

    public static string? Validate(NetworkSettings settings)
    {
        foreach ((string list, IReadOnlyList<string> entries) in new[] { ("LAN subnets", settings.LanSubnets), ("Admin sources", settings.AdminSources) })
        {
            foreach (string entry in entries)
            {
                if (!IPNetwork.TryParse(entry, out _) && !IPAddress.TryParse(entry, out _))
                {
                    return $"{list}: '{entry}' is not an address or CIDR subnet; write e.g. 192.168.1.0/24 or 192.168.1.20.";
                }
            }
        }
        if (!Backends.Contains(settings.FirewallBackend))
        {
            return $"Firewall backend '{settings.FirewallBackend}' is unknown; valid: {string.Join(", ", Backends)}.";
        }
        return null;
    }
}
