using System.Net;
using System.Net.Sockets;
using Appliance.Netfilter.Backends;
using Appliance.Netfilter.Intent;
using Appliance.Netfilter.Nftables;
using Appliance.TestSupport;

namespace Appliance.Integration.Tests.Firewall;

/// <summary>Publishing and withdrawing single ports: element changes only, and UDP conntrack flushed.</summary>
public sealed class PortTests
{
    private static PublishedPort Http(int hostPort) => new()
    {
        HostPort = hostPort, ContainerAddress = IPAddress.Parse(NasStack.AppAddress), ContainerPort = 80, Exposure = Exposure.Lan,
    };

    [Fact]
    public async Task PublishPort_AddsElementsOnly_AndAnswersFromTheLan()
    {
        await using NasStack nas = await NasStack.CreateAsync();
        await using NftablesBackend backend = nas.Backend(watchDrift: false);
        await backend.ApplyAsync(NasStack.Intent());
        Assert.Null(await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, 10443));

        FirewallApplyResult published = await backend.PublishPortAsync("gitlab", Http(10443));

        Assert.True(published.Incremental);
        Assert.Equal("gitlab http\n", await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, 10443));
        Assert.Null(await backend.CheckDriftAsync());
        Assert.Equal(3, backend.AppliedIntent!.Stacks[0].PublishedPorts.Count);

        await backend.UnpublishPortAsync("gitlab", Http(10443));

        Assert.Null(await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, 10443));
        Assert.Equal("gitlab http\n", await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, 10080));
        Assert.Null(await backend.CheckDriftAsync());
    }

    [Fact]
    public async Task UnpublishUdpPort_FlushesItsConntrackEntries()
    {
        await using NasStack nas = await NasStack.CreateAsync();
        await using NftablesBackend backend = nas.Backend(watchDrift: false);
        var dns = new PublishedPort
        {
            HostPort = 10053, ContainerAddress = IPAddress.Parse(NasStack.AppAddress), ContainerPort = 53,
            Protocol = TransportProtocol.Udp, Exposure = Exposure.Lan,
        };
        await backend.ApplyAsync(NasStack.Intent());
        await backend.PublishPortAsync("gitlab", dns);
        await nas.Box.Laptop.Namespace.RunAsync(() =>
        {
            using var udp = new UdpClient(AddressFamily.InterNetwork);
            udp.Send([1, 2, 3], 3, new IPEndPoint(IPAddress.Parse(TestBox.NasLanAddress), 10053));
        });
        await Poll.UntilAsync(async () => (await ConntrackAsync(nas)).Contains("dport=10053"), TimeSpan.FromSeconds(5),
            () => "no conntrack entry for udp 10053 appeared");

        await backend.UnpublishPortAsync("gitlab", dns);

        Assert.DoesNotContain("dport=10053", await ConntrackAsync(nas));
    }

    [Fact]
    public async Task HostOnlyPort_OnLoopback_AnswersOnTheBoxOnly()
    {
        await using NasStack nas = await NasStack.CreateAsync();
        await using NftablesBackend backend = nas.Backend(watchDrift: false);
        var db = new PublishedPort
        {
            HostAddress = IPAddress.Loopback, HostPort = 15432, ContainerAddress = IPAddress.Parse(NasStack.DbAddress), ContainerPort = 5432,
            Exposure = Exposure.Lan, // ignored: published on 127.0.0.1, only the box itself can use it
        };
        FirewallIntent intent = NasStack.Intent() with { Stacks = [NasStack.Intent().Stacks[0] with { PublishedPorts = [db] }] };

        FirewallApplyResult before = await backend.ApplyAsync(intent);
        (await nas.Box.ExecAsync(nas.Nas, "sysctl", "-qw", $"net.ipv4.conf.{NasStack.Bridge}.route_localnet=1")).EnsureSuccess();
        IReadOnlyList<string> after = await backend.CheckKernelAsync(intent);

        Assert.Contains(before.Warnings, w => w.Contains("route_localnet", StringComparison.Ordinal));
        Assert.Empty(after);
        Assert.Equal("postgresql\n", await NasStack.ConnectAsync(nas.Nas, "127.0.0.1", 15432));
        Assert.Null(await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, 15432));
        Assert.Null(await NasStack.ConnectAsync(nas.Box.Laptop, "127.0.0.1", 15432));
    }

    [Fact]
    public async Task IpForwardingOff_IsReported_NotSwitchedOn()
    {
        await using NasStack nas = await NasStack.CreateAsync();
        (await nas.Box.ExecAsync(nas.Nas, "sysctl", "-qw", "net.ipv4.ip_forward=0")).EnsureSuccess();
        await using NftablesBackend backend = nas.Backend(watchDrift: false);

        FirewallApplyResult result = await backend.ApplyAsync(NasStack.Intent());

        Assert.Contains(result.Warnings, w => w.Contains("IP forwarding is off", StringComparison.Ordinal));
        Assert.Equal("0\n", (await nas.Box.ExecAsync(nas.Nas, "cat", "/proc/sys/net/ipv4/ip_forward")).Stdout);
    }

    private static async Task<string> ConntrackAsync(NasStack nas) =>
        (await nas.Box.ExecAsync(nas.Nas, "cat", "/proc/net/nf_conntrack")).EnsureSuccess().Stdout;
}
