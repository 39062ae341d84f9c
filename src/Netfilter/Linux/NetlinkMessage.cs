namespace Appliance.Netfilter.Linux;

/// <summary>One received message: its type and its payload (what follows the nlmsghdr).</summary>
internal readonly record struct NetlinkMessage(ushort Type, byte[] Payload);
