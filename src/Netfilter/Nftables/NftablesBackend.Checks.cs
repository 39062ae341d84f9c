using Appliance.Netfilter.Intent;

namespace Appliance.Netfilter.Nftables;

public sealed partial class NftablesBackend
{
    /// <summary>
    /// What the kernel must provide for the intent to work, checked — never switched on behind
    /// the owner's back: IP forwarding (published ports, egress) and <c>route_localnet</c> on the
    /// bridges of ports published on 127.0.0.1. Read in the managed namespace.
    /// </summary>
    public Task<IReadOnlyList<string>> CheckKernelAsync(FirewallIntent intent, CancellationToken cancellationToken = default) =>
        _options.Namespace.RunAsync<IReadOnlyList<string>>(() =>
        {
            var warnings = new List<string>();
            if (intent.Stacks.Count > 0 && ReadSysctl("net/ipv4/ip_forward") == "0")
            {
                warnings.Add("IP forwarding is off (net.ipv4.ip_forward = 0): published ports and container egress cannot work; " +
                    "turn it on with `sysctl -w net.ipv4.ip_forward=1` and persist it in /etc/sysctl.d/");
            }
            foreach (StackNetwork stack in intent.Stacks.Where(s => s.PublishedPorts.Any(p => p.IsLoopbackOnly)))
            {
                string? value = ReadSysctl($"net/ipv4/conf/{stack.Bridge}/route_localnet");
                if (value == "0")
                {
                    warnings.Add($"stack '{stack.Name}' publishes on 127.0.0.1 but route_localnet is off on bridge '{stack.Bridge}': " +
                        $"set net.ipv4.conf.{stack.Bridge}.route_localnet=1 (Appliance's raw-table rule drops remote packets to 127/8)");
                }
            }
            return warnings;
        }, cancellationToken);

    private static string? ReadSysctl(string name)
    {
        try
        {
            return File.ReadAllText("/proc/sys/" + name).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
