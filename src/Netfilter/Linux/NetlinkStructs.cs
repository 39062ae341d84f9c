using System.Runtime.InteropServices;

namespace Appliance.Netfilter.Linux;

// The generic netlink wire headers, laid out as in <linux/netlink.h>; the rtnetlink ones are in
// src/Orchestrator/Networking/Netlink/NetlinkStructs.cs. Tmds.LibC has none of them. Their sizes
// and field offsets are checked against the system headers by a test that compiles a small C
// program (tests/Orchestrator.Tests/Networking/NetlinkStructTests.cs). Field names follow C.
#pragma warning disable IDE1006, CS8981 // C names

/// <summary>struct nlmsghdr: every netlink message starts with it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct nlmsghdr
{
    public uint nlmsg_len;
    public ushort nlmsg_type;
    public ushort nlmsg_flags;
    public uint nlmsg_seq;
    public uint nlmsg_pid;
}

/// <summary>struct nlmsgerr: the payload of NLMSG_ERROR (error 0 is an ACK).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct nlmsgerr
{
    public int error;
    public nlmsghdr msg;
}

/// <summary>struct rtattr (same layout as struct nlattr): a type-length-value attribute.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct rtattr
{
    public ushort rta_len;
    public ushort rta_type;
}

/// <summary>struct sockaddr_nl: a netlink socket address (Tmds.LibC has no sockaddr_nl).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct sockaddr_nl
{
    public ushort nl_family;
    public ushort nl_pad;
    public uint nl_pid;
    public uint nl_groups;
}
