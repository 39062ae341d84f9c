using Appliance.Netfilter.Intent;
using Appliance.TestSupport;

namespace Appliance.Integration.Tests.Firewall;

/// <summary>
/// The test box's nas as a NAS with its own firewall: br_netfilter on inside it, and a
/// deny-by-default host table (<c>inet host</c>, not Appliance's), with or without the one-line
/// mark handshake rule.
/// </summary>
internal sealed class NasHost(TestBox box)
{
    public const string Table = "host";

    public static readonly PacketMark Mark = PacketMark.Default;

    /// <summary>br_netfilter (a machine-wide module load, if not built in) with bridge-nf-call-iptables=1 set inside nas only.</summary>
    public async Task EnableBrNetfilterAsync()
    {
        if (!Directory.Exists("/proc/sys/net/bridge"))
        {
            await Command.CheckAsync("modprobe", "br_netfilter");
        }
        (await box.ExecAsync(box.Nas, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1")).EnsureSuccess();
    }

    /// <summary>
    /// Loads <c>table inet host</c>: input and forward policy drop, established/related and
    /// loopback accepted (as a real host firewall has), plus <see cref="Mark"/>'s host rule when
    /// <paramref name="withMarkRule"/>.
    /// </summary>
    public async Task LoadHostFirewallAsync(bool withMarkRule)
    {
        string accept = withMarkRule ? Mark.HostRule : "";
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

    /// <summary>Removes <c>table inet host</c> (it must exist).</summary>
    public async Task DeleteHostFirewallAsync() =>
        (await box.ExecAsync(box.Nas, "nft", "delete", "table", "inet", Table)).EnsureSuccess();
}
