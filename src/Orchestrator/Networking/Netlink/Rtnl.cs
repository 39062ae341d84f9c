using Appliance.Netfilter.Linux;

namespace Appliance.Orchestrator.Networking.Netlink;

/// <summary>
/// The netlink / rtnetlink constants Appliance uses, with their C names (the generic netlink
/// ones come from <see cref="NetlinkConstants"/>). Each value is checked
/// against the system headers (tests/Orchestrator.Tests/Networking/NetlinkStructTests.cs).
/// </summary>
internal static class Rtnl
{
#pragma warning disable IDE1006
    public const int NETLINK_ROUTE = NetlinkConstants.NETLINK_ROUTE;
    public const int SOL_NETLINK = NetlinkConstants.SOL_NETLINK;
    public const int NETLINK_CAP_ACK = NetlinkConstants.NETLINK_CAP_ACK;
    public const int NETLINK_EXT_ACK = NetlinkConstants.NETLINK_EXT_ACK;

    public const ushort NLM_F_REQUEST = NetlinkConstants.NLM_F_REQUEST;
    public const ushort NLM_F_MULTI = NetlinkConstants.NLM_F_MULTI;
    public const ushort NLM_F_ACK = NetlinkConstants.NLM_F_ACK;
    public const ushort NLM_F_DUMP_INTR = NetlinkConstants.NLM_F_DUMP_INTR;
    public const ushort NLM_F_DUMP = NetlinkConstants.NLM_F_DUMP;
    public const ushort NLM_F_REPLACE = 0x100;
    public const ushort NLM_F_EXCL = 0x200;
    public const ushort NLM_F_CREATE = 0x400;
    public const ushort NLM_F_CAPPED = NetlinkConstants.NLM_F_CAPPED;
    public const ushort NLM_F_ACK_TLVS = NetlinkConstants.NLM_F_ACK_TLVS;

    public const ushort NLMSG_NOOP = NetlinkConstants.NLMSG_NOOP;
    public const ushort NLMSG_ERROR = NetlinkConstants.NLMSG_ERROR;
    public const ushort NLMSG_DONE = NetlinkConstants.NLMSG_DONE;
    public const int NLMSG_ALIGNTO = NetlinkConstants.NLMSG_ALIGNTO;
    public const ushort NLMSGERR_ATTR_MSG = NetlinkConstants.NLMSGERR_ATTR_MSG;

    public const ushort RTM_NEWLINK = 16;
    public const ushort RTM_DELLINK = 17;
    public const ushort RTM_GETLINK = 18;
    public const ushort RTM_SETLINK = 19;
    public const ushort RTM_NEWADDR = 20;
    public const ushort RTM_DELADDR = 21;
    public const ushort RTM_GETADDR = 22;
    public const ushort RTM_NEWROUTE = 24;
    public const ushort RTM_DELROUTE = 25;
    public const ushort RTM_GETROUTE = 26;

    public const ushort NLA_F_NESTED = NetlinkConstants.NLA_F_NESTED;
    public const ushort NLA_TYPE_MASK = NetlinkConstants.NLA_TYPE_MASK;

    public const byte AF_UNSPEC = 0;
    public const byte AF_INET = 2;
    public const byte AF_BRIDGE = 7;
    public const ushort AF_NETLINK = NetlinkConstants.AF_NETLINK;

    public const uint IFF_UP = 0x1;
    public const uint IFF_LOWER_UP = 0x10000;

    public const ushort IFLA_ADDRESS = 1;
    public const ushort IFLA_IFNAME = 3;
    public const ushort IFLA_MTU = 4;
    public const ushort IFLA_LINK = 5;
    public const ushort IFLA_MASTER = 10;
    public const ushort IFLA_PROTINFO = 12;
    public const ushort IFLA_LINKINFO = 18;
    public const ushort IFLA_NET_NS_PID = 19;
    public const ushort IFLA_NET_NS_FD = 28;
    public const ushort IFLA_NUM_TX_QUEUES = 31;
    public const ushort IFLA_NUM_RX_QUEUES = 32;

    public const ushort IFLA_INFO_KIND = 1;
    public const ushort IFLA_INFO_DATA = 2;
    public const ushort IFLA_INFO_SLAVE_KIND = 4;

    public const ushort VETH_INFO_PEER = 1;

    /// <summary>IFLA_BRPORT_MODE: the bridge port's hairpin mode (u8).</summary>
    public const ushort IFLA_BRPORT_MODE = 4;

    public const ushort IFA_ADDRESS = 1;
    public const ushort IFA_LOCAL = 2;
    public const ushort IFA_LABEL = 3;
    public const ushort IFA_BROADCAST = 4;

    public const ushort RTA_DST = 1;
    public const ushort RTA_OIF = 4;
    public const ushort RTA_GATEWAY = 5;
    public const ushort RTA_PRIORITY = 6;
    public const ushort RTA_PREFSRC = 7;
    public const ushort RTA_TABLE = 15;

    public const byte RT_TABLE_MAIN = 254;
    public const byte RTPROT_BOOT = 3;
    public const byte RTPROT_STATIC = 4;
    public const byte RT_SCOPE_UNIVERSE = 0;
    public const byte RT_SCOPE_LINK = 253;
    public const byte RT_SCOPE_HOST = 254;
    public const byte RTN_UNICAST = 1;
    public const byte RTN_LOCAL = 2;

    /// <summary>IFNAMSIZ - 1: the longest interface name.</summary>
    public const int MaxInterfaceNameLength = 15;

    /// <summary>The C name of a message type, for error texts.</summary>
    public static string MessageTypeName(ushort type) => type switch
    {
        RTM_NEWLINK => "RTM_NEWLINK",
        RTM_DELLINK => "RTM_DELLINK",
        RTM_GETLINK => "RTM_GETLINK",
        RTM_SETLINK => "RTM_SETLINK",
        RTM_NEWADDR => "RTM_NEWADDR",
        RTM_DELADDR => "RTM_DELADDR",
        RTM_GETADDR => "RTM_GETADDR",
        RTM_NEWROUTE => "RTM_NEWROUTE",
        RTM_DELROUTE => "RTM_DELROUTE",
        RTM_GETROUTE => "RTM_GETROUTE",
        _ => $"message type {type}",
    };
}
