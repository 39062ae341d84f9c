using Appliance.Netfilter.Intent;
using Appliance.TestSupport;

namespace Appliance.Integration.Tests.Firewall;

/// <summary>
/// The NAS owner's side of the story, inside a test box's nas: br_netfilter pushing bridged
/// frames through the IP hooks, and a deny-by-default host firewall in a table of its own
/// (<c>inet host</c>, not Appliance's), with or without the one-line mark handshake rule.
/// </summary>
internal static class DenyByDefaultHost
{
    public const string Table = "host";

    /// <summary>br_netfilter loaded (a machine-wide module load, allowed) and bridge-nf-call-iptables=1 inside nas only.</summary>
    public static async Task EnableBridgeNetfilterAsync(TestBox box)
    {
        if (!Directory.Exists("/proc/sys/net/bridge"))
        {
            await Command.CheckAsync("modprobe", "br_netfilter");
        }
        (await box.ExecAsync(box.Nas, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1")).EnsureSuccess();
    }

    /// <summary>
    /// Loads <c>table inet host</c> into nas: input and forward policy drop, established/related
    /// and loopback accepted, plus <paramref name="mark"/>'s host rule when given.
    /// </summary>
    public static async Task LoadAsync(TestBox box, PacketMark? mark)
    {
        string accept = mark?.HostRule ?? "";
        string rules = $$"""
            table inet {{Table}} {
              chain input { type filter hook input priority filter; policy drop;
                ct state established,related accept
                iif "lo" accept
                {{accept}}
              }
              chain forward { type filter hook forward priority filter; policy drop;
                ct state established,related accept
                {{accept}}
              }
            }
            """;
        string file = Path.Combine(box.TempDir, "host.nft");
        await File.WriteAllTextAsync(file, rules);
        (await box.ExecAsync(box.Nas, "nft", "-f", file)).EnsureSuccess();
    }

    /// <summary>Removes <c>table inet host</c> from nas (it must exist).</summary>
    public static async Task DeleteAsync(TestBox box) =>
        (await box.ExecAsync(box.Nas, "nft", "delete", "table", "inet", Table)).EnsureSuccess();
}
