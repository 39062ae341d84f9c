using System.Net;
using System.Text.Json.Nodes;
using Appliance.Netfilter.Errors;
using Appliance.Netfilter.Intent;
using Appliance.Netfilter.Nftables;

namespace Appliance.Netfilter.Tests.Nftables;

public sealed class NftCompilerTests
{
    internal static FirewallIntent Sample(int stacks = 1, int portsPerStack = 2) => new()
    {
        LanSubnets = [IPNetwork.Parse("192.168.50.0/24")],
        HostServices =
        [
            new HostService { Name = HostService.AdminUiName, Port = 8443, AllowedFrom = Exposure.Lan },
            new HostService { Name = HostService.SshName, Port = 22, AllowedFrom = Exposure.FromSources(IPNetwork.Parse("192.168.50.10/32")) },
        ],
        Stacks = Enumerable.Range(1, stacks).Select(s => new StackNetwork
        {
            Name = $"stack{s}",
            Bridge = $"ap-s{s}",
            Subnet = IPNetwork.Parse($"10.{88 + s / 250}.{s % 250}.0/24"),
            PublishedPorts = Enumerable.Range(0, portsPerStack).Select(p => new PublishedPort
            {
                HostPort = 10000 + s * 10 + p,
                ContainerAddress = IPAddress.Parse($"10.{88 + s / 250}.{s % 250}.{2 + p}"),
                ContainerPort = 80 + p,
                Protocol = p % 2 == 0 ? TransportProtocol.Tcp : TransportProtocol.Udp,
                Exposure = p % 3 == 0 ? Exposure.Internet : p % 3 == 1 ? Exposure.Lan : Exposure.HostOnly,
            }).ToList(),
        }).ToList(),
    };

    [Fact]
    public void Compile_Sample_WritesJsonForNft()
    {
        CompiledRuleset compiled = NftCompiler.Compile(Sample());
        Directory.CreateDirectory("/tmp/tbf00d01");
        File.WriteAllText("/tmp/tbf00d01/full.json", compiled.FullTransaction().ToJsonString());
    }
}
