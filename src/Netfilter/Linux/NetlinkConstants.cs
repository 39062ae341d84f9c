namespace Appliance.Netfilter.Linux;

/// <summary>
/// The generic netlink constants (any protocol: rtnetlink, ctnetlink), with their C names. Each
/// value is checked against the system headers (tests/Orchestrator.Tests/Networking/NetlinkStructTests.cs).
/// </summary>
internal static class NetlinkConstants
{
#pragma warning disable IDE1006
    public const ushort AF_NETLINK = 16;
    public const int NETLINK_ROUTE = 0;
    public const int NETLINK_NETFILTER = 12;
    /// <summary>The nftables change notifications' multicast group (enum nfnetlink_groups).</summary>
    public const int NFNLGRP_NFTABLES = 7;
    /// <summary>nfnetlink's nftables subsystem: the high byte of an nftables message's type.</summary>
    public const int NFNL_SUBSYS_NFTABLES = 10;
    /// <summary>The last message of each committed nftables transaction (events only), with who committed it.</summary>
    public const int NFT_MSG_NEWGEN = 15;
    /// <summary>NFT_MSG_NEWGEN's attribute: the id of the task that committed the transaction (u32, network order).</summary>
    public const ushort NFTA_GEN_PROC_PID = 2;
    public const int SOL_NETLINK = 270;
    public const int NETLINK_CAP_ACK = 10;
    public const int NETLINK_EXT_ACK = 11;

    public const ushort NLM_F_REQUEST = 0x01;
    public const ushort NLM_F_MULTI = 0x02;
    public const ushort NLM_F_ACK = 0x04;
    public const ushort NLM_F_DUMP_INTR = 0x10;
    public const ushort NLM_F_DUMP = 0x300;
    public const ushort NLM_F_CAPPED = 0x100;
    public const ushort NLM_F_ACK_TLVS = 0x200;

    public const ushort NLMSG_NOOP = 1;
    public const ushort NLMSG_ERROR = 2;
    public const ushort NLMSG_DONE = 3;
    public const int NLMSG_ALIGNTO = 4;
    public const ushort NLMSGERR_ATTR_MSG = 1;

    public const ushort NLA_F_NESTED = 0x8000;
    public const ushort NLA_TYPE_MASK = 0x3fff;
#pragma warning restore IDE1006

    /// <summary>NLMSG_ALIGN / NLA_ALIGN: a length rounded up to 4 bytes.</summary>
    public static int Align(int length) => (length + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1);
}
