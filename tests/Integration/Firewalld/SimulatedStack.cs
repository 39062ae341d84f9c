using System.Net;
using Appliance.Netfilter.Intent;
using Appliance.TestSupport;

namespace Appliance.Integration.Tests.Firewalld;

/// <summary>
/// A stack as the network sees it, made with `ip` inside the box's nas namespace until the real
/// engine is in main: a bridge ap-NAME with .1 on it, and one namespace PREFIX-NAME-i per
/// container (veth into the bridge, address, default route via the bridge), each with listeners.
/// </summary>
internal sealed class SimulatedStack
{
    private SimulatedStack(string name, string bridge, IPNetwork subnet, IReadOnlyList<TestHost> containers)
    {
        Name = name;
        Bridge = bridge;
        Subnet = subnet;
        Containers = containers;
    }

    public string Name { get; }

    public string Bridge { get; }

    public IPNetwork Subnet { get; }

    /// <summary>Container i has address .(i + 2) of the subnet.</summary>
    public IReadOnlyList<TestHost> Containers { get; }

    public static async Task<SimulatedStack> CreateAsync(TestBox box, string name, int subnetIndex, int containers)
    {
        string bridge = "ap-" + name;
        string prefix = $"10.88.{subnetIndex}";
        await Nas(box, "ip", "link", "add", bridge, "type", "bridge");
        await Nas(box, "ip", "addr", "add", prefix + ".1/24", "dev", bridge);
        await Nas(box, "ip", "link", "set", bridge, "up");
        var hosts = new List<TestHost>();
        for (int i = 0; i < containers; i++)
        {
            var host = new TestHost($"{name}-{i}", $"{box.Prefix}-{name}-{i}", $"{prefix}.{i + 2}", prefix + ".0/24");
            await Command.CheckAsync("ip", "netns", "add", host.NamespaceName);
            box.OnTeardown($"netns {host.NamespaceName}", async () => (await Command.RunAsync("ip", "netns", "del", host.NamespaceName)).EnsureSuccess());
            string hostEnd = $"ve-{name}-{i}";
            await Nas(box, "ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", host.NamespaceName);
            await Nas(box, "ip", "link", "set", hostEnd, "master", bridge, "up");
            await Command.CheckAsync("ip", "-n", host.NamespaceName, "link", "set", "lo", "up");
            await Command.CheckAsync("ip", "-n", host.NamespaceName, "addr", "add", host.Address + "/24", "dev", "eth0");
            await Command.CheckAsync("ip", "-n", host.NamespaceName, "link", "set", "eth0", "up");
            await Command.CheckAsync("ip", "-n", host.NamespaceName, "route", "add", "default", "via", prefix + ".1");
            hosts.Add(host);
        }
        return new SimulatedStack(name, bridge, IPNetwork.Parse(prefix + ".0/24"), hosts);
    }

    public StackNetwork ToNetwork(bool egress = true, IReadOnlyList<PublishedPort>? ports = null) => new()
    {
        Name = Name,
        Bridge = Bridge,
        Subnet = Subnet,
        ContainerAddresses = Containers.Select(c => IPAddress.Parse(c.Address)).ToArray(),
        PublishedPorts = ports ?? [],
        EgressAllowed = egress,
    };

    private static async Task Nas(TestBox box, params string[] argv) => (await box.ExecAsync(box.Nas, argv)).EnsureSuccess();
}
