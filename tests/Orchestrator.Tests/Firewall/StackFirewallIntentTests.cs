using System.Collections.Immutable;
using System.Net;
using Appliance.Netfilter.Intent;
using Appliance.Orchestrator.Firewall;
using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Stacks;
using Exposure = Appliance.Netfilter.Intent.Exposure;
using PublishedPort = Appliance.Netfilter.Intent.PublishedPort;
using StackNetwork = Appliance.Netfilter.Intent.StackNetwork;

namespace Appliance.Orchestrator.Tests.Firewall;

public sealed class StackFirewallIntentTests
{
    private const string Stack = """
        name: shop
        services:
          db:
            image: postgres
          web:
            image: nginx
            ports:
              - "8080:80"
              - "127.0.0.1:8443:443"
              - "5353:53/udp"
            x-appliance:
              exposure: internet
              ports:
                "8443": host-only
          admin:
            image: adminer
            ports:
              - "9000:8080"
            x-appliance:
              ports:
                "9000": { exposure: lan, sources: [192.168.50.0/24] }
        """;

    private static StackSubnet Subnet() => new("shop", IPNetwork.Parse("10.88.3.0/24"),
        new Dictionary<string, IPAddress>
        {
            ["db"] = IPAddress.Parse("10.88.3.2"),
            ["web"] = IPAddress.Parse("10.88.3.3"),
            ["admin"] = IPAddress.Parse("10.88.3.4"),
        }.ToImmutableSortedDictionary(StringComparer.Ordinal));

    [Fact]
    public void For_StackWithPorts_MapsBridgeSubnetAndEveryPort()
    {
        StackLoadResult loaded = StackLoader.LoadFromText(Stack, "shop/stack.yaml");
        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Errors));

        StackNetwork network = StackFirewallIntent.For(loaded.Stack!, Subnet());

        Assert.Equal("ap-shop", network.Bridge);
        Assert.Equal(IPNetwork.Parse("10.88.3.0/24"), network.Subnet);
        Assert.Equal(3, network.ContainerAddresses.Count);
        Assert.Equal(4, network.PublishedPorts.Count);
        PublishedPort http = network.PublishedPorts.Single(p => p.HostPort == 8080);
        Assert.Equal(IPAddress.Parse("10.88.3.3"), http.ContainerAddress);
        Assert.Equal(80, http.ContainerPort);
        Assert.Equal(Exposure.Internet, http.Exposure);
        Assert.Null(http.HostAddress);
        PublishedPort loopback = network.PublishedPorts.Single(p => p.HostPort == 8443);
        Assert.Equal(IPAddress.Loopback, loopback.HostAddress);
        Assert.True(loopback.IsLoopbackOnly);
        Assert.Equal(TransportProtocol.Udp, network.PublishedPorts.Single(p => p.HostPort == 5353).Protocol);
        PublishedPort admin = network.PublishedPorts.Single(p => p.HostPort == 9000);
        Assert.Equal(Exposure.FromSources(IPNetwork.Parse("192.168.50.0/24")), admin.Exposure);
    }

    [Fact]
    public void For_ServiceWithoutAddress_SaysWhichAndHowToFix()
    {
        StackLoadResult loaded = StackLoader.LoadFromText(Stack, "shop/stack.yaml");
        StackSubnet subnet = Subnet() with { Addresses = Subnet().Addresses.Remove("web") };

        var error = Assert.Throws<InvalidOperationException>(() => StackFirewallIntent.For(loaded.Stack!, subnet));

        Assert.Contains("'web'", error.Message);
        Assert.Contains("deploy the stack again", error.Message);
    }
}
