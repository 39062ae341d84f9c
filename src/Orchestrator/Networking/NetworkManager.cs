using System.Net;
using Appliance.Netfilter.Linux;

namespace Appliance.Orchestrator.Networking;

/// <summary>
/// Stack networks in one host namespace (the machine's own, or a test box's <c>nas</c>): a bridge
/// per stack with the gateway address, one veth pair per container (host end on the bridge, the
/// peer created directly inside the container's namespace as eth0, addressed, default route via
/// the gateway), and reading it all back for reconcile. Everything goes through rtnetlink.
/// </summary>
public sealed class NetworkManager : IAsyncDisposable, IDisposable
{
    private readonly SemaphoreSlim _openLock = new(1, 1);
    private readonly Lazy<NamespaceHopper> _hopper = new(() => new NamespaceHopper("netns attach"));
    private Rtnetlink? _host;

    public NetworkManager(NetworkNamespace? host = null, IpamOptions? ipamOptions = null)
    {
        Host = host ?? NetworkNamespace.Current;
        Ipam = new Ipam(ipamOptions);
    }

    /// <summary>The namespace the bridges and host veth ends live in.</summary>
    public NetworkNamespace Host { get; }

    public Ipam Ipam { get; }

    /// <summary>The host's routes and address networks (what a new subnet must not overlap).</summary>
    public async Task<IReadOnlyList<IPNetwork>> GetOccupiedNetworksAsync(CancellationToken cancellationToken = default)
    {
        Rtnetlink host = await HostAsync(cancellationToken);
        return host.ListRoutes().Where(r => !r.IsDefault).Select(r => r.Destination)
            .Concat(host.ListAddresses().Select(a => a.Network))
            .Distinct()
            .ToList();
    }

    /// <summary>Every IPv4 address of the host namespace, the bridges' gateways included (a flow to one of them is for the box itself).</summary>
    public async Task<IReadOnlyList<IPAddress>> GetHostAddressesAsync(CancellationToken cancellationToken = default)
    {
        Rtnetlink host = await HostAsync(cancellationToken);
        return [.. host.ListAddresses().Select(a => a.Address).Distinct()];
    }

    /// <summary>Gives the stack a subnet (keeping one it has) that overlaps nothing on the host.</summary>
    public async Task<IpamState> AllocateSubnetAsync(IpamState state, string stackName, CancellationToken cancellationToken = default)
    {
        if (state.Find(stackName) is not null)
        {
            return state;
        }
        return Ipam.AllocateSubnet(state, stackName, await GetOccupiedNetworksAsync(cancellationToken));
    }

    /// <summary>
    /// Creates the stack's bridge <c>ap-STACK</c> with the gateway (.1) of <paramref name="subnet"/>
    /// and brings it up. Throws <see cref="NetlinkException"/> (EEXIST) if the bridge exists;
    /// a failure half-way removes the bridge again.
    /// </summary>
    public async Task<StackNetwork> CreateStackNetworkAsync(string stackName, IPNetwork subnet, CancellationToken cancellationToken = default)
    {
        var network = new StackNetwork(stackName, InterfaceNames.Bridge(stackName), subnet, Ipv4.Host(subnet, 1));
        Rtnetlink host = await HostAsync(cancellationToken);
        host.CreateBridge(network.BridgeName);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            host.AddAddress(network.BridgeName, network.Gateway, subnet.PrefixLength);
            host.SetUp(network.BridgeName);
        }
        catch
        {
            host.TryDeleteLink(network.BridgeName);
            throw;
        }
        return network;
    }

    /// <summary>
    /// Reconcile's version of <see cref="CreateStackNetworkAsync"/>: keeps the bridge if it exists
    /// (adding the gateway address and bringing it up if either is missing), creates it if not.
    /// A bridge holding an address of another subnet is an error that says so.
    /// </summary>
    public async Task<StackNetwork> EnsureStackNetworkAsync(string stackName, IPNetwork subnet, CancellationToken cancellationToken = default)
    {
        Rtnetlink host = await HostAsync(cancellationToken);
        string bridge = InterfaceNames.Bridge(stackName);
        LinkInfo? link = host.FindLink(bridge);
        if (link is null)
        {
            return await CreateStackNetworkAsync(stackName, subnet, cancellationToken);
        }
        var network = new StackNetwork(stackName, bridge, subnet, Ipv4.Host(subnet, 1));
        if (link.Kind != "bridge")
        {
            throw new NetlinkException("RTM_GETLINK", "bridge", bridge, NetlinkException.EEXIST,
                $"a {link.Kind ?? "non-bridge"} link has the name of stack '{stackName}''s bridge; remove it (ip link del {bridge})");
        }
        List<AddressInfo> addresses = host.ListAddresses().Where(a => a.LinkIndex == link.Index).ToList();
        if (addresses.FirstOrDefault(a => !a.Network.Equals(subnet)) is { } other)
        {
            throw new NetlinkException("RTM_GETADDR", "bridge", bridge, NetlinkException.EEXIST,
                $"it has address {other.Address}/{other.PrefixLength}, not one in {subnet} as recorded for stack '{stackName}'");
        }
        if (!addresses.Any(a => a.Address.Equals(network.Gateway)))
        {
            host.AddAddress(bridge, network.Gateway, subnet.PrefixLength);
        }
        if (!link.IsUp)
        {
            host.SetUp(bridge);
        }
        return network;
    }

    /// <summary>The stack network whose bridge exists already (after a restart), or null.</summary>
    public async Task<StackNetwork?> FindStackNetworkAsync(string stackName, CancellationToken cancellationToken = default)
    {
        Rtnetlink host = await HostAsync(cancellationToken);
        string bridge = InterfaceNames.Bridge(stackName);
        LinkInfo? link = host.FindLink(bridge);
        if (link is null)
        {
            return null;
        }
        AddressInfo? address = host.ListAddresses().FirstOrDefault(a => a.LinkIndex == link.Index);
        return address is null ? null : new StackNetwork(stackName, bridge, address.Network, address.Address);
    }

    /// <summary>
    /// Wires a container: a veth pair whose host end joins the bridge and whose peer is created
    /// inside <paramref name="containerNamespacePath"/> as eth0; there, loopback and eth0 up,
    /// <paramref name="address"/> on eth0 and a default route via the gateway. A failure
    /// half-way removes the pair again.
    /// </summary>
    public async Task<ContainerAttachment> AttachContainerAsync(StackNetwork network, string containerName,
        string containerNamespacePath, IPAddress address, CancellationToken cancellationToken = default)
    {
        var endpoint = new ContainerEndpoint(containerName, containerNamespacePath, address);
        return (await AttachContainersAsync(network, [endpoint], cancellationToken))[0];
    }

    /// <summary>
    /// Wires several containers as <see cref="AttachContainerAsync"/> does, one after another
    /// (overlapping them measured slower: the kernel serializes link changes under one lock). If
    /// one fails, every pair this call created is removed again and the failures are reported
    /// together.
    /// </summary>
    public async Task<IReadOnlyList<ContainerAttachment>> AttachContainersAsync(StackNetwork network,
        IReadOnlyList<ContainerEndpoint> containers, CancellationToken cancellationToken = default)
    {
        foreach (ContainerEndpoint c in containers)
        {
            if (!network.Subnet.Contains(c.Address) || c.Address.Equals(network.Gateway) || c.Address.Equals(network.Subnet.BaseAddress) ||
                Ipv4.ToUInt32(c.Address) == Ipv4.Last(network.Subnet))
            {
                throw new ArgumentException(
                    $"address {c.Address} for container '{c.ContainerName}' is not a host address of {network.Subnet} other than the gateway {network.Gateway}",
                    nameof(containers));
            }
        }
        Rtnetlink host = await HostAsync(cancellationToken);
        // The manager's own thread wires them: the host socket works from any thread, and the
        // thread joins each container's namespace in turn (setns) for the inside half. No pooled
        // thread ever changes namespace.
        await _hopper.Value.RunAsync(() =>
        {
            try
            {
                Wire(host, network, containers, cancellationToken);
            }
            finally
            {
                // Back to the process's namespace: a thread left inside a container's namespace
                // would keep it (and its veth pair) alive after the namespace file is removed.
                NetworkNamespace.Current.Enter();
            }
        }, cancellationToken);
        return containers.Select(c => new ContainerAttachment(network.StackName, c.ContainerName,
            InterfaceNames.HostVeth(network.StackName, c.ContainerName), InterfaceNames.ContainerInterface,
            c.Address, network.Subnet.PrefixLength, new NetworkNamespace(c.NamespacePath).Path)).ToList();
    }

    /// <summary>Runs on the manager's own thread; joins each container's namespace in turn.</summary>
    private static void Wire(Rtnetlink host, StackNetwork network, IReadOnlyList<ContainerEndpoint> containers, CancellationToken cancellationToken)
    {
        int bridgeIndex = host.GetIndex(network.BridgeName);
        var created = new List<string>();
        var failures = new List<Exception>();
        foreach (ContainerEndpoint c in containers)
        {
            string hostEnd = InterfaceNames.HostVeth(network.StackName, c.ContainerName);
            var containerNs = new NetworkNamespace(c.NamespacePath);
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                host.CreateVeth(hostEnd, InterfaceNames.ContainerInterface, containerNs, bridgeIndex, up: true);
                created.Add(hostEnd);
                containerNs.Enter();
                ConfigureInside(containerNs, c.Address, network);
            }
            catch (Exception e) when (e is NetworkingException or NamespaceException or OperationCanceledException)
            {
                failures.Add(e);
                break;
            }
        }
        if (failures.Count == 0)
        {
            return;
        }
        foreach (string hostEnd in created)
        {
            try
            {
                host.TryDeleteLink(hostEnd);
            }
            catch (NetlinkException e)
            {
                failures.Add(e);
            }
        }
        if (failures.Count == 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failures[0]);
        }
        throw new AggregateException($"wiring {containers.Count} container(s) to '{network.BridgeName}' failed: " +
            string.Join("; ", failures.Select(f => f.Message)), failures);
    }

    /// <summary>Runs on a thread that has joined the container's namespace.</summary>
    private static void ConfigureInside(NetworkNamespace containerNs, IPAddress address, StackNetwork network)
    {
        using Rtnetlink inside = Rtnetlink.OpenHere(containerNs);
        inside.SetUp("lo");
        inside.AddAddress(InterfaceNames.ContainerInterface, address, network.Subnet.PrefixLength);
        inside.SetUp(InterfaceNames.ContainerInterface);
        inside.AddDefaultRoute(network.Gateway);
    }

    /// <summary>Removes the container's veth pair (both ends); nothing to do if it is gone already.</summary>
    public async Task DetachContainerAsync(StackNetwork network, string containerName, CancellationToken cancellationToken = default)
    {
        Rtnetlink host = await HostAsync(cancellationToken);
        host.TryDeleteLink(InterfaceNames.HostVeth(network.StackName, containerName));
    }

    /// <summary>
    /// Removes the stack's bridge and every veth still enslaved to it. Keeps going after a
    /// failure and reports all of them together; nothing to do if it is gone already.
    /// </summary>
    public async Task RemoveStackNetworkAsync(string stackName, CancellationToken cancellationToken = default)
    {
        Rtnetlink host = await HostAsync(cancellationToken);
        LinkInfo? bridge = host.FindLink(InterfaceNames.Bridge(stackName));
        if (bridge is null)
        {
            return;
        }
        var failures = new List<Exception>();
        foreach (LinkInfo port in host.ListLinks().Where(l => l.MasterIndex == bridge.Index && l.Kind == "veth"))
        {
            try
            {
                host.TryDeleteLink(port.Name);
            }
            catch (NetlinkException e)
            {
                failures.Add(e);
            }
        }
        try
        {
            host.TryDeleteLink(bridge.Name);
        }
        catch (NetlinkException e)
        {
            failures.Add(e);
        }
        if (failures.Count > 0)
        {
            throw new AggregateException($"removing the network of stack '{stackName}' left {failures.Count} problem(s): " +
                string.Join("; ", failures.Select(f => f.Message)), failures);
        }
    }

    public Task RemoveStackNetworkAsync(StackNetwork network, CancellationToken cancellationToken = default) =>
        RemoveStackNetworkAsync(network.StackName, cancellationToken);

    /// <summary>Hairpin mode on a container's bridge port: lets it reach itself through a published port.</summary>
    public async Task SetHairpinAsync(StackNetwork network, string containerName, bool enabled, CancellationToken cancellationToken = default)
    {
        Rtnetlink host = await HostAsync(cancellationToken);
        host.SetHairpin(InterfaceNames.HostVeth(network.StackName, containerName), enabled);
    }

    /// <summary>net.ipv4.conf.BRIDGE.route_localnet in the host namespace (publishing on 127.0.0.1).</summary>
    public Task SetRouteLocalnetAsync(StackNetwork network, bool enabled, CancellationToken cancellationToken = default)
    {
        // /proc/sys/net resolves in the namespace of the thread that opens the file.
        string path = $"/proc/sys/net/ipv4/conf/{network.BridgeName}/route_localnet";
        string value = enabled ? "1" : "0";
        return Host.RunAsync(() =>
        {
            try
            {
                File.WriteAllText(path, value);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SysctlException($"{path} in network namespace '{Host.Path}'", value, e);
            }
        }, cancellationToken);
    }

    /// <summary>Appliance's bridges (ap-*) with their addresses and ports, and ve-* links on no bridge.</summary>
    public async Task<NetworkInspection> InspectAsync(CancellationToken cancellationToken = default)
    {
        Rtnetlink host = await HostAsync(cancellationToken);
        IReadOnlyList<LinkInfo> links = host.ListLinks();
        IReadOnlyList<AddressInfo> addresses = host.ListAddresses();
        var bridges = links
            .Where(l => l.Kind == "bridge" && l.Name.StartsWith(InterfaceNames.BridgePrefix, StringComparison.Ordinal))
            .Select(b => new ObservedBridge(b,
                addresses.Where(a => a.LinkIndex == b.Index).ToList(),
                links.Where(l => l.MasterIndex == b.Index).ToList()))
            .ToList();
        var bridgeIndexes = bridges.Select(b => b.Link.Index).ToHashSet();
        var stray = links
            .Where(l => l.Kind == "veth" && l.Name.StartsWith(InterfaceNames.VethPrefix, StringComparison.Ordinal) &&
                        (l.MasterIndex is null || !bridgeIndexes.Contains(l.MasterIndex.Value)))
            .ToList();
        return new NetworkInspection(bridges, stray);
    }

    private async ValueTask<Rtnetlink> HostAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_host is { } open)
        {
            return open;
        }
        await _openLock.WaitAsync(cancellationToken);
        try
        {
            return _host ??= await Rtnetlink.OpenAsync(Host, cancellationToken);
        }
        finally
        {
            _openLock.Release();
        }
    }

    public void Dispose()
    {
        if (_hopper.IsValueCreated)
        {
            _hopper.Value.Dispose();
        }
        _host?.Dispose();
        _host = null;
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
