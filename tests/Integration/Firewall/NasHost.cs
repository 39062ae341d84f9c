using Appliance.Netfilter.Intent;
using Appliance.TestSupport;

namespace Appliance.Integration.Tests.Firewall;

/// <summary>The test box's nas as a NAS with its own firewall: br_netfilter on inside it, and a deny-by-default host table.</summary>
internal sealed class NasHost(TestBox box)
{
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

    /// <summary>A deny-by-default host firewall in a table that is not Appliance's, with or without the mark rule.</summary>
    public async Task LoadHostFirewallAsync(bool withMarkRule)
    {
        string accept = withMarkRule ? $"meta mark & 0x{Mark.Mask:x8} == 0x{Mark.Value:x8} accept" : "";
        string rules = $$"""
            table inet host {
              chain input { type filter hook input priority filter; policy drop;
                iif "lo" accept
                {{accept}}
              }
              chain forward { type filter hook forward priority filter; policy drop;
                {{accept}}
              }
            }
            """;
        string file = Path.Combine(box.TempDir, "host.nft");
        await File.WriteAllTextAsync(file, rules);
        (await box.ExecAsync(box.Nas, "nft", "-f", file)).EnsureSuccess();
    }
}
