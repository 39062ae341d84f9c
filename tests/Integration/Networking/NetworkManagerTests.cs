using System.Net;
using Appliance.Netfilter.Linux;
using Appliance.Orchestrator.Networking;
using Appliance.TestSupport;

namespace Appliance.Integration.Tests.Networking;

/// <summary>
/// Bridges, veth pairs and container namespaces on the real kernel, all inside a test box: the
/// product's host namespace is the box's <c>nas</c>, container namespaces are bound under the
/// box's run dir. Nothing touches the machine's own namespace.
/// </summary>
public sealed class NetworkManagerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Containers_OnOneBridge_ReachEachOther_AndTheGateway()
    {
        await using TestBox box = await TestBox.CreateAsync();
        await using var manager = new NetworkManager(box.Nas.Namespace);
        NetworkNamespace web = await ContainerNamespaceAsync(box, "web");
        NetworkNamespace db = await ContainerNamespaceAsync(box, "db");
        IpamState ipam = await manager.AllocateSubnetAsync(IpamState.Empty, "shop");
        ipam = manager.Ipam.AllocateAddress(ipam, "shop", "web");
        ipam = manager.Ipam.AllocateAddress(ipam, "shop", "db");
        StackSubnet subnet = ipam.Find("shop")!;

        StackNetwork network = await manager.CreateStackNetworkAsync("shop", subnet.Subnet);
        ContainerAttachment webLink = await manager.AttachContainerAsync(network, "web", web.Path, subnet.Addresses["web"]);
        ContainerAttachment dbLink = await manager.AttachContainerAsync(network, "db", db.Path, subnet.Addresses["db"]);
        await box.ListenTcpAsync(db, "db container", dbLink.Address.ToString(), 5432, "db here");
        await box.ListenTcpAsync(box.Nas.Namespace, "nas", network.Gateway.ToString(), 8080, "gateway here");

        Assert.Equal("ap-shop", network.BridgeName);
        Assert.Equal("db here\n", await TestBox.TryConnectTcpAsync(web, dbLink.Address.ToString(), 5432, Timeout));
        Assert.Equal("gateway here\n", await TestBox.TryConnectTcpAsync(web, network.Gateway.ToString(), 8080, Timeout));
        // Through the default route to the gateway: the nas's LAN address is reachable from a container.
        await box.ListenTcpAsync(box.Nas, TestBox.NasLanAddress, 8081, "nas lan");
        Assert.Equal("nas lan\n", await TestBox.TryConnectTcpAsync(web, TestBox.NasLanAddress, 8081, Timeout));
        // Nothing listens on 5433: refused, so the checks above can fail.
        Assert.Null(await TestBox.TryConnectTcpAsync(web, dbLink.Address.ToString(), 5433, Timeout));

        // Seen from inside with the real tools, as runc's process would: eth0 with the address, default via gateway.
        CommandResult inside = await Command.CheckAsync("nsenter", $"--net={web.Path}", "ip", "-o", "-4", "addr", "show", "dev", "eth0");
        Assert.Contains($"{webLink.Address}/24", inside.Stdout);
        CommandResult routes = await Command.CheckAsync("nsenter", $"--net={web.Path}", "ip", "route", "show", "default");
        Assert.Contains($"default via {network.Gateway} dev eth0", routes.Stdout);
        // One queue each way on both ends (veth's default is one per possible CPU).
        CommandResult eth0Details = await Command.CheckAsync("nsenter", $"--net={web.Path}", "ip", "-d", "-j", "link", "show", "dev", "eth0");
        CommandResult hostDetails = await Command.CheckAsync("nsenter", $"--net={box.Nas.Namespace.Path}", "ip", "-d", "-j", "link", "show", "dev", webLink.HostInterface);
        Assert.All(new[] { eth0Details.Stdout, hostDetails.Stdout }, json =>
        {
            System.Text.Json.JsonElement link = System.Text.Json.JsonDocument.Parse(json).RootElement[0];
            Assert.Equal(1, link.GetProperty("num_tx_queues").GetInt32());
            Assert.Equal(1, link.GetProperty("num_rx_queues").GetInt32());
        });

        NetworkInspection seen = await manager.InspectAsync();
        ObservedBridge bridge = Assert.Single(seen.Bridges);
        Assert.Equal(network.BridgeName, bridge.Name);
        Assert.True(bridge.Link.IsUp);
        Assert.Equal(network.Gateway, Assert.Single(bridge.Addresses).Address);
        Assert.Equal(new[] { dbLink.HostInterface, webLink.HostInterface }.Order(), bridge.Ports.Select(p => p.Name).Order());
        Assert.All(bridge.Ports, p => Assert.True(p.IsUp));
        Assert.Equal(network, await manager.FindStackNetworkAsync("shop"));
    }

    [Fact]
    public async Task Detach_AndRemove_LeaveNothingBehind()
    {
        await using TestBox box = await TestBox.CreateAsync();
        await using var manager = new NetworkManager(box.Nas.Namespace);
        string nsPath = Path.Combine(box.RunDir, "netns", "app");
        NetworkNamespace app = await ContainerNamespaceAsync(box, "app");
        StackNetwork network = await manager.CreateStackNetworkAsync("tidy", IPNetwork.Parse("10.88.7.0/24"));
        await manager.AttachContainerAsync(network, "app", app.Path, IPAddress.Parse("10.88.7.2"));
        await manager.AttachContainerAsync(network, "left-over", (await ContainerNamespaceAsync(box, "left")).Path, IPAddress.Parse("10.88.7.3"));

        await manager.DetachContainerAsync(network, "app");
        await manager.DetachContainerAsync(network, "app"); // idempotent
        CommandResult eth0 = await Command.RunAsync("nsenter", $"--net={app.Path}", "ip", "link", "show", "eth0");
        await manager.RemoveStackNetworkAsync(network);     // also removes the left-over container's pair
        await manager.RemoveStackNetworkAsync(network);     // idempotent
        await NetworkNamespaceFile.RemoveAsync(nsPath);
        await NetworkNamespaceFile.RemoveAsync(nsPath);     // idempotent

        Assert.False(eth0.Succeeded, "the peer goes with the host end");
        NetworkInspection seen = await manager.InspectAsync();
        Assert.Empty(seen.Bridges);
        Assert.Empty(seen.StrayVeths);
        CommandResult links = await box.ExecAsync(box.Nas, "ip", "-o", "link", "show");
        Assert.DoesNotContain("ap-tidy", links.Stdout);
        Assert.DoesNotContain("ve-", links.Stdout);
        Assert.False(NetworkNamespaceFile.IsMounted(nsPath));
        Assert.False(File.Exists(nsPath));
    }

    [Fact]
    public async Task Attach_LeavesNoThreadOfOursInTheContainerNamespace()
    {
        await using TestBox box = await TestBox.CreateAsync();
        await using var manager = new NetworkManager(box.Nas.Namespace);
        NetworkNamespace app = await ContainerNamespaceAsync(box, "app");
        StackNetwork network = await manager.CreateStackNetworkAsync("held", IPNetwork.Parse("10.88.10.0/24"));
        string inode = (await Command.CheckAsync("stat", "-L", "-c", "%i", app.Path)).Stdout.Trim();

        await manager.AttachContainerAsync(network, "app", app.Path, IPAddress.Parse("10.88.10.2"));

        // Otherwise removing the namespace file would not free the namespace and its veth pair.
        var holders = Directory.GetDirectories("/proc/self/task")
            .Select(task => new FileInfo(Path.Combine(task, "ns", "net")).LinkTarget)
            .Where(target => target == $"net:[{inode}]")
            .ToList();
        Assert.Empty(holders);
    }

    [Fact]
    public async Task CreatingALinkThatExists_ThrowsTypedError_WithNameAndEexist()
    {
        await using TestBox box = await TestBox.CreateAsync();
        await using var manager = new NetworkManager(box.Nas.Namespace);
        NetworkNamespace app = await ContainerNamespaceAsync(box, "app");
        StackNetwork network = await manager.CreateStackNetworkAsync("dup", IPNetwork.Parse("10.88.5.0/24"));
        await manager.AttachContainerAsync(network, "app", app.Path, IPAddress.Parse("10.88.5.2"));

        var bridge = await Assert.ThrowsAsync<NetlinkException>(() => manager.CreateStackNetworkAsync("dup", IPNetwork.Parse("10.88.5.0/24")));
        var veth = await Assert.ThrowsAsync<NetlinkException>(() => manager.AttachContainerAsync(network, "app", app.Path, IPAddress.Parse("10.88.5.2")));

        Assert.Equal("netlink RTM_NEWLINK bridge 'ap-dup' failed: File exists (EEXIST)", bridge.Message);
        Assert.Equal((NetlinkException.EEXIST, "RTM_NEWLINK", "ap-dup"), (bridge.Errno, bridge.Operation, bridge.ObjectName));
        string hostEnd = InterfaceNames.HostVeth("dup", "app");
        Assert.StartsWith($"netlink RTM_NEWLINK veth '{hostEnd}' failed: File exists (EEXIST)", veth.Message);
        // The failed attempts removed nothing that was there and left nothing new.
        ObservedBridge observed = Assert.Single((await manager.InspectAsync()).Bridges);
        Assert.Equal(hostEnd, Assert.Single(observed.Ports).Name);
    }

    [Fact]
    public async Task MissingNamespaceOrLink_ThrowsTypedErrors_NamingThem()
    {
        await using TestBox box = await TestBox.CreateAsync();
        await using var manager = new NetworkManager(box.Nas.Namespace);
        string missing = Path.Combine(box.RunDir, "netns", "never-created");
        StackNetwork network = await manager.CreateStackNetworkAsync("lost", IPNetwork.Parse("10.88.6.0/24"));
        using Rtnetlink nas = await Rtnetlink.OpenAsync(box.Nas.Namespace);

        var attach = await Assert.ThrowsAsync<NetlinkException>(() => manager.AttachContainerAsync(network, "app", missing, IPAddress.Parse("10.88.6.2")));
        nas.CreateVeth("tv-move", "tv-peer");
        var move = Assert.Throws<NetlinkException>(() => nas.MoveToNamespace("tv-move", new NetworkNamespace(missing)));
        var noLink = Assert.Throws<NetlinkException>(() => nas.SetUp("no-such-link"));
        var noBridge = Assert.Throws<NetlinkException>(() => nas.SetMaster("tv-move", "ap-nothing"));

        Assert.Equal(NetlinkException.ENOENT, attach.Errno);
        Assert.Contains(missing, attach.Message);
        Assert.Contains(InterfaceNames.HostVeth("lost", "app"), attach.Message);
        Assert.Equal(NetlinkException.ENOENT, move.Errno);
        Assert.Contains("'tv-move'", move.Message);
        Assert.Contains(missing, move.Message);
        Assert.Equal("netlink RTM_SETLINK link 'no-such-link' failed: No such device (ENODEV)", noLink.Message);
        Assert.Equal("netlink RTM_GETLINK link 'ap-nothing' failed: No such device (ENODEV)", noBridge.Message);
        Assert.Null(nas.FindLink(InterfaceNames.HostVeth("lost", "app")));
    }

    [Fact]
    public async Task AttachContainers_OneFails_RemovesThePairsItMade_AndNamesTheFailure()
    {
        await using TestBox box = await TestBox.CreateAsync();
        await using var manager = new NetworkManager(box.Nas.Namespace);
        NetworkNamespace a = await ContainerNamespaceAsync(box, "a");
        NetworkNamespace b = await ContainerNamespaceAsync(box, "b");
        string missing = Path.Combine(box.RunDir, "netns", "c-missing");
        StackNetwork network = await manager.CreateStackNetworkAsync("batch", IPNetwork.Parse("10.88.8.0/24"));

        var failure = await Assert.ThrowsAsync<NetlinkException>(() => manager.AttachContainersAsync(network,
        [
            new ContainerEndpoint("a", a.Path, IPAddress.Parse("10.88.8.2")),
            new ContainerEndpoint("b", b.Path, IPAddress.Parse("10.88.8.3")),
            new ContainerEndpoint("c", missing, IPAddress.Parse("10.88.8.4")),
        ]));
        IReadOnlyList<ContainerAttachment> retry = await manager.AttachContainersAsync(network,
        [
            new ContainerEndpoint("a", a.Path, IPAddress.Parse("10.88.8.2")),
            new ContainerEndpoint("b", b.Path, IPAddress.Parse("10.88.8.3")),
        ]);

        Assert.Contains(missing, failure.Message);
        Assert.Contains(InterfaceNames.HostVeth("batch", "c"), failure.Message);
        Assert.Equal(2, retry.Count);
        await box.ListenTcpAsync(b, "b", "10.88.8.3", 7000, "b here");
        Assert.Equal("b here\n", await TestBox.TryConnectTcpAsync(a, "10.88.8.3", 7000, Timeout));
    }

    [Fact]
    public async Task KernelExplanation_ExtendedAck_IsInTheMessage()
    {
        await using TestBox box = await TestBox.CreateAsync();
        using Rtnetlink nas = await Rtnetlink.OpenAsync(box.Nas.Namespace);

        var e = Assert.Throws<NetlinkException>(() => nas.AddRoute(IPNetwork.Parse("10.99.0.0/24"), IPAddress.Parse("10.77.0.1")));

        Assert.Equal("RTM_NEWROUTE", e.Operation);
        Assert.Equal("10.99.0.0/24 via 10.77.0.1", e.ObjectName);
        Assert.StartsWith("kernel: ", e.Detail);
        Assert.Contains("gateway", e.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task TwoStacks_GetDifferentSubnetsAndBridges_AvoidingAHostRoute()
    {
        await using TestBox box = await TestBox.CreateAsync();
        await using var manager = new NetworkManager(box.Nas.Namespace);
        // Something on the LAN side already uses 10.88.0.0/24 and 10.88.1.5: the IPAM must go around it.
        await box.ExecAsync(box.Nas, "ip", "route", "add", "10.88.0.0/24", "via", TestBox.LaptopAddress);
        await box.ExecAsync(box.Nas, "ip", "route", "add", "10.88.1.5/32", "via", TestBox.LaptopAddress);

        IReadOnlyList<IPNetwork> occupied = await manager.GetOccupiedNetworksAsync();
        IpamState state = await manager.AllocateSubnetAsync(IpamState.Empty, "gitlab");
        StackNetwork gitlab = await manager.CreateStackNetworkAsync("gitlab", state.Find("gitlab")!.Subnet);
        state = await manager.AllocateSubnetAsync(state, "a-stack-with-a-long-name");
        StackNetwork other = await manager.CreateStackNetworkAsync("a-stack-with-a-long-name", state.Find("a-stack-with-a-long-name")!.Subnet);
        // A fresh state (say, lost) still avoids both bridges: they are routes on the host now.
        IpamState fresh = await manager.AllocateSubnetAsync(IpamState.Empty, "third");

        Assert.Contains(IPNetwork.Parse(TestBox.LanSubnet), occupied);
        Assert.Contains(IPNetwork.Parse("10.88.0.0/24"), occupied);
        Assert.Equal(IPNetwork.Parse("10.88.2.0/24"), gitlab.Subnet);
        Assert.Equal(IPNetwork.Parse("10.88.3.0/24"), other.Subnet);
        Assert.Equal(IPNetwork.Parse("10.88.4.0/24"), fresh.Find("third")!.Subnet);
        Assert.NotEqual(gitlab.BridgeName, other.BridgeName);
        Assert.True(other.BridgeName.Length <= 15);
        CommandResult addresses = await box.ExecAsync(box.Nas, "ip", "-o", "-4", "addr", "show");
        Assert.Contains($"{gitlab.BridgeName}    inet 10.88.2.1/24", addresses.Stdout);
        Assert.Contains($"{other.BridgeName}    inet 10.88.3.1/24", addresses.Stdout);
    }

    [Fact]
    public async Task EnsureStackNetwork_KeepsAHealthyBridge_RepairsAMissingAddress_RejectsAnotherSubnet()
    {
        await using TestBox box = await TestBox.CreateAsync();
        await using var manager = new NetworkManager(box.Nas.Namespace);
        NetworkNamespace app = await ContainerNamespaceAsync(box, "app");
        IPNetwork subnet = IPNetwork.Parse("10.88.11.0/24");
        StackNetwork created = await manager.EnsureStackNetworkAsync("keep", subnet);
        await manager.AttachContainerAsync(created, "app", app.Path, IPAddress.Parse("10.88.11.2"));
        await box.ExecAsync(box.Nas, "ip", "addr", "flush", "dev", created.BridgeName);
        await box.ExecAsync(box.Nas, "ip", "link", "set", created.BridgeName, "down");

        StackNetwork repaired = await manager.EnsureStackNetworkAsync("keep", subnet);
        var wrong = await Assert.ThrowsAsync<NetlinkException>(() => manager.EnsureStackNetworkAsync("keep", IPNetwork.Parse("10.88.12.0/24")));

        Assert.Equal(created, repaired);
        ObservedBridge bridge = Assert.Single((await manager.InspectAsync()).Bridges);
        Assert.True(bridge.Link.IsUp);
        Assert.Equal(IPAddress.Parse("10.88.11.1"), Assert.Single(bridge.Addresses).Address);
        Assert.Single(bridge.Ports); // the container stayed attached
        Assert.Contains("10.88.11.1/24", wrong.Message);
        Assert.Contains("10.88.12.0/24", wrong.Message);
    }

    [Fact]
    public async Task HairpinAndRouteLocalnet_AreSetOnTheBridge()
    {
        await using TestBox box = await TestBox.CreateAsync();
        await using var manager = new NetworkManager(box.Nas.Namespace);
        NetworkNamespace app = await ContainerNamespaceAsync(box, "app");
        StackNetwork network = await manager.CreateStackNetworkAsync("hp", IPNetwork.Parse("10.88.9.0/24"));
        ContainerAttachment link = await manager.AttachContainerAsync(network, "app", app.Path, IPAddress.Parse("10.88.9.2"));

        string Sys(string path) => box.ExecAsync(box.Nas, "cat", path).Result.EnsureSuccess().Stdout.Trim();
        string before = Sys($"/sys/class/net/{link.HostInterface}/brport/hairpin_mode");
        await manager.SetHairpinAsync(network, "app", enabled: true);
        await manager.SetRouteLocalnetAsync(network, enabled: true);

        var gone = network with { BridgeName = "ap-gone" };
        var missing = await Assert.ThrowsAsync<SysctlException>(() => manager.SetRouteLocalnetAsync(gone, enabled: true));
        var noPort = await Assert.ThrowsAsync<NetlinkException>(() => manager.SetHairpinAsync(network, "nobody", enabled: true));

        Assert.Contains("/proc/sys/net/ipv4/conf/ap-gone/route_localnet", missing.Message);
        Assert.Equal(NetlinkException.ENODEV, noPort.Errno);
        Assert.Equal("0", before);
        Assert.Equal("1", Sys($"/sys/class/net/{link.HostInterface}/brport/hairpin_mode"));
        Assert.Equal("1", Sys($"/proc/sys/net/ipv4/conf/{network.BridgeName}/route_localnet"));
    }

    [Fact]
    public async Task VethPeer_CreatedHere_ThenMovedAndRenamed_IsEth0InTheContainer()
    {
        await using TestBox box = await TestBox.CreateAsync();
        NetworkNamespace app = await ContainerNamespaceAsync(box, "app");
        using Rtnetlink nas = await Rtnetlink.OpenAsync(box.Nas.Namespace);

        nas.CreateVeth("tv-host", "tv-peer");
        nas.MoveToNamespace("tv-peer", app);
        using Rtnetlink inside = await Rtnetlink.OpenAsync(app);
        inside.Rename("tv-peer", "eth0");
        inside.SetUp("eth0");

        LinkInfo eth0 = inside.GetLink("eth0");
        Assert.Equal("veth", eth0.Kind);
        Assert.True(eth0.IsUp);
        Assert.Null(nas.FindLink("tv-peer"));
        Assert.Equal("veth", nas.GetLink("tv-host").Kind);
    }

    [Fact]
    public async Task NamespaceFile_Create_Twice_Fails_AndRemoveUnmounts()
    {
        await using TestBox box = await TestBox.CreateAsync();
        string path = Path.Combine(box.RunDir, "netns", "once");
        NetworkNamespace ns = await NetworkNamespaceFile.CreateAsync(path);
        try
        {
            var again = await Assert.ThrowsAsync<NamespaceException>(() => NetworkNamespaceFile.CreateAsync(path));
            using Rtnetlink inside = await Rtnetlink.OpenAsync(ns);

            Assert.Equal(17, again.Errno);
            Assert.Contains(path, again.Message);
            Assert.True(NetworkNamespaceFile.IsMounted(path));
            Assert.Equal(["lo"], inside.ListLinks().Select(l => l.Name));
        }
        finally
        {
            await NetworkNamespaceFile.RemoveAsync(path);
        }
        Assert.False(NetworkNamespaceFile.IsMounted(path));
        Assert.False(File.Exists(path));
    }

    /// <summary>A container namespace bound at RUNDIR/netns/NAME, removed in teardown.</summary>
    private static async Task<NetworkNamespace> ContainerNamespaceAsync(TestBox box, string name)
    {
        string path = Path.Combine(box.RunDir, "netns", name);
        NetworkNamespace ns = await NetworkNamespaceFile.CreateAsync(path);
        box.OnTeardown($"netns file {path}", () => NetworkNamespaceFile.RemoveAsync(path));
        return ns;
    }
}
