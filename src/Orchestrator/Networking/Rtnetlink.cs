using System.Net;
using System.Runtime.InteropServices;
using Appliance.Netfilter.Linux;
using Appliance.Orchestrator.Networking.Netlink;
using Microsoft.Win32.SafeHandles;

namespace Appliance.Orchestrator.Networking;

/// <summary>
/// Links, addresses and routes of one network namespace, through a NETLINK_ROUTE socket opened
/// inside it (<see cref="OpenAsync"/>). Every call is one request and its ACK (microseconds, in
/// the kernel); failures throw <see cref="NetlinkException"/> naming the operation, the object
/// and the errno. Calls are serialized; the object may be used from any thread.
/// </summary>
public sealed class Rtnetlink : IDisposable
{
    private const int RequestBufferSize = 1024;
    private readonly NetlinkSocket _socket;
    private readonly Lock _lock = new();

    private Rtnetlink(NetlinkSocket socket, NetworkNamespace ns)
    {
        _socket = socket;
        Namespace = ns;
    }

    /// <summary>The namespace whose links this instance sees and changes.</summary>
    public NetworkNamespace Namespace { get; }

    /// <summary>Opens a netlink socket inside <paramref name="ns"/> (on a thread that joined it).</summary>
    public static async Task<Rtnetlink> OpenAsync(NetworkNamespace ns, CancellationToken cancellationToken = default)
    {
        NetlinkSocket socket = ns.IsCurrent ? OpenSocket() : await ns.RunAsync(OpenSocket, cancellationToken);
        return new Rtnetlink(socket, ns);
    }

    /// <summary>Opens a socket in the calling thread's namespace (for code already running inside one).</summary>
    internal static Rtnetlink OpenHere(NetworkNamespace ns) => new(OpenSocket(), ns);

    private static NetlinkSocket OpenSocket() =>
        NetlinkSocket.Open(
            Rtnl.NETLINK_ROUTE,
            "NETLINK_ROUTE",
            (operation, objectKind, objectName, errno, detail) => new NetlinkException(operation, objectKind, objectName, errno, detail),
            Rtnl.MessageTypeName);

    /// <summary>Creates a bridge, down. EEXIST if a link of that name exists.</summary>
    public void CreateBridge(string name)
    {
        CheckName(name);
        Span<byte> buffer = stackalloc byte[RequestBufferSize];
        var w = Begin(buffer, Rtnl.RTM_NEWLINK, Rtnl.NLM_F_CREATE | Rtnl.NLM_F_EXCL);
        w.Write(new ifinfomsg { ifi_family = Rtnl.AF_UNSPEC });
        w.Attribute(Rtnl.IFLA_IFNAME, name);
        int info = w.BeginNested(Rtnl.IFLA_LINKINFO);
        w.Attribute(Rtnl.IFLA_INFO_KIND, "bridge");
        w.EndNested(info);
        Execute(w.Finish(), "bridge", name);
    }

    /// <summary>
    /// Creates a veth pair in one request: <paramref name="name"/> here, <paramref name="peerName"/>
    /// created directly in <paramref name="peerNamespace"/> (IFLA_NET_NS_FD) or here when null.
    /// Optionally enslaves the near end to <paramref name="master"/> and brings it up (the peer
    /// stays down until its own namespace brings it up).
    /// </summary>
    public void CreateVeth(string name, string peerName, NetworkNamespace? peerNamespace = null, string? master = null, bool up = false) =>
        CreateVeth(name, peerName, peerNamespace, master is null ? 0 : GetIndex(master), up);

    internal void CreateVeth(string name, string peerName, NetworkNamespace? peerNamespace, int masterIndex, bool up)
    {
        CheckName(name);
        CheckName(peerName);
        using SafeFileHandle? nsHandle = peerNamespace is null ? null : OpenNamespace(peerNamespace, "veth", name);
        Span<byte> buffer = stackalloc byte[RequestBufferSize];
        var w = Begin(buffer, Rtnl.RTM_NEWLINK, Rtnl.NLM_F_CREATE | Rtnl.NLM_F_EXCL);
        var flags = up ? Rtnl.IFF_UP : 0;
        w.Write(new ifinfomsg { ifi_family = Rtnl.AF_UNSPEC, ifi_flags = flags, ifi_change = flags });
        w.Attribute(Rtnl.IFLA_IFNAME, name);
        SingleQueue(ref w);
        if (masterIndex != 0)
        {
            w.Attribute(Rtnl.IFLA_MASTER, masterIndex);
        }
        int info = w.BeginNested(Rtnl.IFLA_LINKINFO);
        w.Attribute(Rtnl.IFLA_INFO_KIND, "veth");
        int data = w.BeginNested(Rtnl.IFLA_INFO_DATA);
        int peer = w.BeginNested(Rtnl.VETH_INFO_PEER);
        // The peer stays down: veth_open() of a peer fails with ENOTCONN while the pair is being
        // created. The peer's side brings it up (for a container, from inside its namespace).
        w.Write(new ifinfomsg { ifi_family = Rtnl.AF_UNSPEC });
        w.Attribute(Rtnl.IFLA_IFNAME, peerName);
        SingleQueue(ref w);
        if (nsHandle is not null)
        {
            w.Attribute(Rtnl.IFLA_NET_NS_FD, (int)nsHandle.DangerousGetHandle());
        }
        w.EndNested(peer);
        w.EndNested(data);
        w.EndNested(info);
        Execute(w.Finish(), "veth", name);
    }

    /// <summary>
    /// One transmit and one receive queue per end. veth's default is one per possible CPU, each
    /// with its own sysfs directories (~25 µs apiece to create, measured here): a container's
    /// link on a small box gains nothing from several queues (there is no XDP on it).
    /// </summary>
    private static void SingleQueue(ref NetlinkMessageWriter w)
    {
        w.Attribute(Rtnl.IFLA_NUM_TX_QUEUES, 1u);
        w.Attribute(Rtnl.IFLA_NUM_RX_QUEUES, 1u);
    }

    /// <summary>Deletes a link (a veth's peer goes with it).</summary>
    public void DeleteLink(string name)
    {
        CheckName(name);
        Span<byte> buffer = stackalloc byte[RequestBufferSize];
        var w = Begin(buffer, Rtnl.RTM_DELLINK, 0);
        w.Write(new ifinfomsg { ifi_family = Rtnl.AF_UNSPEC });
        w.Attribute(Rtnl.IFLA_IFNAME, name);
        Execute(w.Finish(), "link", name);
    }

    /// <summary>Deletes a link if it exists; false when there was none.</summary>
    public bool TryDeleteLink(string name)
    {
        try
        {
            DeleteLink(name);
            return true;
        }
        catch (NetlinkException e) when (e.Errno == NetlinkException.ENODEV)
        {
            return false;
        }
    }

    /// <summary>Enslaves a link to a bridge (or releases it when <paramref name="bridge"/> is null).</summary>
    public void SetMaster(string name, string? bridge)
    {
        int masterIndex = bridge is null ? 0 : GetIndex(bridge);
        SetLink(name, "link", (ref NetlinkMessageWriter w) => w.Attribute(Rtnl.IFLA_MASTER, masterIndex));
    }

    public void SetUp(string name) => SetFlags(name, Rtnl.IFF_UP, Rtnl.IFF_UP);

    public void SetDown(string name) => SetFlags(name, 0, Rtnl.IFF_UP);

    /// <summary>Renames a link (it must be down, e.g. a peer just moved into a container).</summary>
    public void Rename(string name, string newName)
    {
        CheckName(newName);
        int index = GetIndex(name);
        Span<byte> buffer = stackalloc byte[RequestBufferSize];
        var w = Begin(buffer, Rtnl.RTM_SETLINK, 0);
        w.Write(new ifinfomsg { ifi_family = Rtnl.AF_UNSPEC, ifi_index = index });
        w.Attribute(Rtnl.IFLA_IFNAME, newName);
        Execute(w.Finish(), "link", name);
    }

    /// <summary>Moves a link into another namespace (it keeps its name, loses its addresses).</summary>
    public void MoveToNamespace(string name, NetworkNamespace target)
    {
        using SafeFileHandle nsHandle = OpenNamespace(target, "link", name);
        int fd = (int)nsHandle.DangerousGetHandle();
        SetLink(name, "link", (ref NetlinkMessageWriter w) => w.Attribute(Rtnl.IFLA_NET_NS_FD, fd));
    }

    /// <summary>Sets a bridge port's hairpin mode (a container reaching itself through a published port).</summary>
    public void SetHairpin(string port, bool enabled)
    {
        int index = GetIndex(port);
        Span<byte> buffer = stackalloc byte[RequestBufferSize];
        var w = Begin(buffer, Rtnl.RTM_SETLINK, 0);
        w.Write(new ifinfomsg { ifi_family = Rtnl.AF_BRIDGE, ifi_index = index });
        int protinfo = w.BeginNested(Rtnl.IFLA_PROTINFO);
        w.Attribute(Rtnl.IFLA_BRPORT_MODE, (byte)(enabled ? 1 : 0));
        w.EndNested(protinfo);
        Execute(w.Finish(), "bridge port", port);
    }

    /// <summary>Adds an IPv4 address (EEXIST if the link already has it).</summary>
    public void AddAddress(string link, IPAddress address, int prefixLength)
    {
        CheckIpv4(address, prefixLength);
        int index = GetIndex(link);
        Span<byte> buffer = stackalloc byte[RequestBufferSize];
        var w = Begin(buffer, Rtnl.RTM_NEWADDR, Rtnl.NLM_F_CREATE | Rtnl.NLM_F_EXCL);
        w.Write(new ifaddrmsg { ifa_family = Rtnl.AF_INET, ifa_prefixlen = (byte)prefixLength, ifa_index = (uint)index });
        w.Attribute(Rtnl.IFA_LOCAL, address);
        w.Attribute(Rtnl.IFA_ADDRESS, address);
        if (prefixLength < 31)
        {
            w.Attribute(Rtnl.IFA_BROADCAST, Ipv4.FromUInt32(Ipv4.Last(Ipv4.NetworkOf(address, prefixLength))));
        }
        Execute(w.Finish(), "address", $"{address}/{prefixLength} on {link}");
    }

    /// <summary>Adds an IPv4 route in the main table: via <paramref name="gateway"/> and/or out of <paramref name="device"/>.</summary>
    public void AddRoute(IPNetwork destination, IPAddress? gateway, string? device = null)
    {
        if (gateway is null && device is null)
        {
            throw new ArgumentException("a route needs a gateway or a device");
        }
        int oif = device is null ? 0 : GetIndex(device);
        Span<byte> buffer = stackalloc byte[RequestBufferSize];
        var w = Begin(buffer, Rtnl.RTM_NEWROUTE, Rtnl.NLM_F_CREATE | Rtnl.NLM_F_EXCL);
        w.Write(new rtmsg
        {
            rtm_family = Rtnl.AF_INET,
            rtm_dst_len = (byte)destination.PrefixLength,
            rtm_table = Rtnl.RT_TABLE_MAIN,
            rtm_protocol = Rtnl.RTPROT_BOOT,
            rtm_scope = gateway is null ? Rtnl.RT_SCOPE_LINK : Rtnl.RT_SCOPE_UNIVERSE,
            rtm_type = Rtnl.RTN_UNICAST,
        });
        if (destination.PrefixLength > 0)
        {
            w.Attribute(Rtnl.RTA_DST, destination.BaseAddress);
        }
        if (gateway is not null)
        {
            CheckIpv4(gateway, 32);
            w.Attribute(Rtnl.RTA_GATEWAY, gateway);
        }
        if (oif != 0)
        {
            w.Attribute(Rtnl.RTA_OIF, oif);
        }
        Execute(w.Finish(), "route", gateway is null ? $"{destination} dev {device}" : $"{destination} via {gateway}");
    }

    /// <summary>The default route via <paramref name="gateway"/>.</summary>
    public void AddDefaultRoute(IPAddress gateway) => AddRoute(new IPNetwork(IPAddress.Any, 0), gateway);

    /// <summary>The index of a link; NetlinkException with ENODEV when there is none.</summary>
    public int GetIndex(string name) => GetLink(name).Index;

    /// <summary>One link by name; NetlinkException with ENODEV when there is none.</summary>
    public LinkInfo GetLink(string name)
    {
        CheckName(name);
        Span<byte> buffer = stackalloc byte[RequestBufferSize];
        var w = new NetlinkMessageWriter(buffer, Rtnl.RTM_GETLINK, Rtnl.NLM_F_REQUEST, 0);
        w.Write(new ifinfomsg { ifi_family = Rtnl.AF_UNSPEC });
        w.Attribute(Rtnl.IFLA_IFNAME, name);
        lock (_lock)
        {
            SetSequence(buffer);
            NetlinkMessage reply = _socket.Get(w.Finish(), "link", name);
            return ParseLink(reply.Payload);
        }
    }

    /// <summary>The link named <paramref name="name"/>, or null.</summary>
    public LinkInfo? FindLink(string name)
    {
        try
        {
            return GetLink(name);
        }
        catch (NetlinkException e) when (e.Errno == NetlinkException.ENODEV)
        {
            return null;
        }
    }

    public IReadOnlyList<LinkInfo> ListLinks()
    {
        Span<byte> buffer = stackalloc byte[RequestBufferSize];
        var w = new NetlinkMessageWriter(buffer, Rtnl.RTM_GETLINK, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_DUMP, 0);
        w.Write(new ifinfomsg { ifi_family = Rtnl.AF_UNSPEC });
        List<NetlinkMessage> messages;
        lock (_lock)
        {
            messages = _socket.Dump(w.Finish(), "links");
        }
        return messages.Where(m => m.Type == Rtnl.RTM_NEWLINK).Select(m => ParseLink(m.Payload)).ToList();
    }

    /// <summary>Every IPv4 address of the namespace.</summary>
    public IReadOnlyList<AddressInfo> ListAddresses()
    {
        Span<byte> buffer = stackalloc byte[RequestBufferSize];
        var w = new NetlinkMessageWriter(buffer, Rtnl.RTM_GETADDR, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_DUMP, 0);
        w.Write(new ifaddrmsg { ifa_family = Rtnl.AF_INET });
        List<NetlinkMessage> messages;
        lock (_lock)
        {
            messages = _socket.Dump(w.Finish(), "addresses");
        }
        var result = new List<AddressInfo>();
        foreach (NetlinkMessage message in messages)
        {
            if (message.Type != Rtnl.RTM_NEWADDR || message.Payload.Length < Marshal.SizeOf<ifaddrmsg>())
            {
                continue;
            }
            ifaddrmsg header = MemoryMarshal.Read<ifaddrmsg>(message.Payload);
            if (header.ifa_family != Rtnl.AF_INET)
            {
                continue;
            }
            IPAddress? local = null, address = null;
            var attributes = new NetlinkAttributeReader(message.Payload.AsSpan(NetlinkMessageWriter.Align(Marshal.SizeOf<ifaddrmsg>())));
            while (attributes.MoveNext())
            {
                switch (attributes.Type)
                {
                    case Rtnl.IFA_LOCAL:
                        local = NetlinkAttributeReader.ReadAddress(attributes.Payload);
                        break;
                    case Rtnl.IFA_ADDRESS:
                        address = NetlinkAttributeReader.ReadAddress(attributes.Payload);
                        break;
                }
            }
            if ((local ?? address) is { } found)
            {
                result.Add(new AddressInfo((int)header.ifa_index, found, header.ifa_prefixlen));
            }
        }
        return result;
    }

    /// <summary>Every IPv4 route of the namespace, all tables (main, local, policy tables).</summary>
    public IReadOnlyList<RouteInfo> ListRoutes()
    {
        Span<byte> buffer = stackalloc byte[RequestBufferSize];
        var w = new NetlinkMessageWriter(buffer, Rtnl.RTM_GETROUTE, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_DUMP, 0);
        w.Write(new rtmsg { rtm_family = Rtnl.AF_INET });
        List<NetlinkMessage> messages;
        lock (_lock)
        {
            messages = _socket.Dump(w.Finish(), "routes");
        }
        var result = new List<RouteInfo>();
        foreach (NetlinkMessage message in messages)
        {
            if (message.Type != Rtnl.RTM_NEWROUTE || message.Payload.Length < Marshal.SizeOf<rtmsg>())
            {
                continue;
            }
            rtmsg header = MemoryMarshal.Read<rtmsg>(message.Payload);
            if (header.rtm_family != Rtnl.AF_INET)
            {
                continue;
            }
            IPAddress? destination = null, gateway = null;
            int? oif = null;
            int table = header.rtm_table;
            var attributes = new NetlinkAttributeReader(message.Payload.AsSpan(NetlinkMessageWriter.Align(Marshal.SizeOf<rtmsg>())));
            while (attributes.MoveNext())
            {
                switch (attributes.Type)
                {
                    case Rtnl.RTA_DST:
                        destination = NetlinkAttributeReader.ReadAddress(attributes.Payload);
                        break;
                    case Rtnl.RTA_GATEWAY:
                        gateway = NetlinkAttributeReader.ReadAddress(attributes.Payload);
                        break;
                    case Rtnl.RTA_OIF:
                        oif = (int)NetlinkAttributeReader.ReadUInt32(attributes.Payload);
                        break;
                    case Rtnl.RTA_TABLE:
                        table = (int)NetlinkAttributeReader.ReadUInt32(attributes.Payload);
                        break;
                }
            }
            IPNetwork network = Ipv4.NetworkOf(destination ?? IPAddress.Any, header.rtm_dst_len);
            result.Add(new RouteInfo(network, gateway, oif, table));
        }
        return result;
    }

    private static LinkInfo ParseLink(byte[] payload)
    {
        ifinfomsg header = MemoryMarshal.Read<ifinfomsg>(payload);
        string name = "";
        string? kind = null;
        int? master = null;
        var attributes = new NetlinkAttributeReader(payload.AsSpan(NetlinkMessageWriter.Align(Marshal.SizeOf<ifinfomsg>())));
        while (attributes.MoveNext())
        {
            switch (attributes.Type)
            {
                case Rtnl.IFLA_IFNAME:
                    name = NetlinkAttributeReader.ReadString(attributes.Payload);
                    break;
                case Rtnl.IFLA_MASTER:
                    master = (int)NetlinkAttributeReader.ReadUInt32(attributes.Payload);
                    break;
                case Rtnl.IFLA_LINKINFO:
                    var info = new NetlinkAttributeReader(attributes.Payload);
                    while (info.MoveNext())
                    {
                        if (info.Type == Rtnl.IFLA_INFO_KIND)
                        {
                            kind = NetlinkAttributeReader.ReadString(info.Payload);
                        }
                    }
                    break;
            }
        }
        return new LinkInfo(header.ifi_index, name, kind, master is 0 ? null : master, (header.ifi_flags & Rtnl.IFF_UP) != 0);
    }

    private delegate void AttributeWriter(ref NetlinkMessageWriter writer);

    private void SetLink(string name, string objectKind, AttributeWriter attributes)
    {
        CheckName(name);
        Span<byte> buffer = stackalloc byte[RequestBufferSize];
        var w = Begin(buffer, Rtnl.RTM_SETLINK, 0);
        w.Write(new ifinfomsg { ifi_family = Rtnl.AF_UNSPEC });
        w.Attribute(Rtnl.IFLA_IFNAME, name);
        attributes(ref w);
        Execute(w.Finish(), objectKind, name);
    }

    private void SetFlags(string name, uint flags, uint change)
    {
        CheckName(name);
        Span<byte> buffer = stackalloc byte[RequestBufferSize];
        var w = Begin(buffer, Rtnl.RTM_SETLINK, 0);
        w.Write(new ifinfomsg { ifi_family = Rtnl.AF_UNSPEC, ifi_flags = flags, ifi_change = change });
        w.Attribute(Rtnl.IFLA_IFNAME, name);
        Execute(w.Finish(), "link", name);
    }

    private static NetlinkMessageWriter Begin(Span<byte> buffer, ushort type, ushort flags) =>
        new(buffer, type, (ushort)(Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK | flags), 0);

    private void Execute(ReadOnlySpan<byte> request, string objectKind, string objectName)
    {
        lock (_lock)
        {
            Span<byte> copy = stackalloc byte[request.Length];
            request.CopyTo(copy);
            SetSequence(copy);
            _socket.Execute(copy, objectKind, objectName);
        }
    }

    private void SetSequence(Span<byte> request) =>
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(request[8..], _socket.NextSequence());

    private static SafeFileHandle OpenNamespace(NetworkNamespace ns, string objectKind, string objectName)
    {
        try
        {
            return File.OpenHandle(ns.Path, FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NetlinkException("RTM_NEWLINK", objectKind, objectName, NetlinkException.ENOENT,
                $"target network namespace '{ns.Path}' does not exist");
        }
    }

    private static void CheckName(string name)
    {
        if (!InterfaceNames.IsValid(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a valid interface name: 1 to {Rtnl.MaxInterfaceNameLength} bytes, no '/', ':' or whitespace, not '.' or '..'",
                nameof(name));
        }
    }

    private static void CheckIpv4(IPAddress address, int prefixLength)
    {
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || prefixLength is < 0 or > 32)
        {
            throw new ArgumentException($"'{address}/{prefixLength}' is not an IPv4 address with a prefix length of 0-32");
        }
    }

    public void Dispose() => _socket.Dispose();
}
