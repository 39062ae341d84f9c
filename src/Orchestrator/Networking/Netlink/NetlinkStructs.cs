using System.Runtime.InteropServices;

namespace Appliance.Orchestrator.Networking.Netlink;

// The netlink and rtnetlink wire headers, laid out as in <linux/netlink.h> and
// <linux/rtnetlink.h>. Tmds.LibC has none of them. Their sizes and field offsets are checked
// against the system headers by a test that compiles a small C program
// (tests/Orchestrator.Tests/Networking/NetlinkStructTests.cs). Field names follow C.
#pragma warning disable IDE1006, CS8981 // C names

/// <summary>struct ifinfomsg: links (RTM_*LINK).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ifinfomsg
{
    public byte ifi_family;
    public byte __ifi_pad;
    public ushort ifi_type;
    public int ifi_index;
    public uint ifi_flags;
    public uint ifi_change;
}

/// <summary>struct ifaddrmsg: addresses (RTM_*ADDR).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ifaddrmsg
{
    public byte ifa_family;
    public byte ifa_prefixlen;
    public byte ifa_flags;
    public byte ifa_scope;
    public uint ifa_index;
}

/// <summary>struct rtmsg: routes (RTM_*ROUTE).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct rtmsg
{
    public byte rtm_family;
    public byte rtm_dst_len;
    public byte rtm_src_len;
    public byte rtm_tos;
    public byte rtm_table;
    public byte rtm_protocol;
    public byte rtm_scope;
    public byte rtm_type;
    public uint rtm_flags;
}
