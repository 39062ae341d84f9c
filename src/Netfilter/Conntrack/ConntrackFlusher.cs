using System.Buffers.Binary;
using Appliance.Netfilter.Linux;

namespace Appliance.Netfilter.Conntrack;

/// <summary>
/// Deletes conntrack entries through ctnetlink (NETLINK_NETFILTER, NFNL_SUBSYS_CTNETLINK): a
/// dump of the IPv4 table, then IPCTNL_MSG_CT_DELETE by original tuple for each entry that
/// matches. Used for UDP: a re-published port must not keep steering an old "connection" (UDP
/// flows live on in conntrack) to the container it pointed to before.
/// </summary>
internal static class ConntrackFlusher
{
    private const int NFNL_SUBSYS_CTNETLINK = 1;
    private const int IPCTNL_MSG_CT_GET = 1;
    private const int IPCTNL_MSG_CT_DELETE = 2;
    private const ushort CTA_TUPLE_ORIG = 1;
    private const ushort CTA_TUPLE_PROTO = 2;
    private const ushort CTA_PROTO_NUM = 1;
    private const ushort CTA_PROTO_DST_PORT = 3;
    private const byte AF_INET = 2;
    private const byte IPPROTO_UDP = 17;
    private const int ENOENT = 2;
    private const int NfgenmsgSize = 4;

    /// <summary>Deletes the IPv4 UDP entries whose original destination port is <paramref name="port"/>; returns how many.</summary>
    public static int FlushUdpByDestinationPort(int port)
    {
        using NetlinkSocket socket = NetlinkSocket.Open(NetlinkConstants.NETLINK_NETFILTER, "NETLINK_NETFILTER", Error, MessageTypeName);
        var tuples = new List<byte[]>();
        foreach (NetlinkMessage entry in socket.Dump(Request(IPCTNL_MSG_CT_GET, NetlinkConstants.NLM_F_REQUEST | NetlinkConstants.NLM_F_DUMP, 0, []), "conntrack"))
        {
            if (entry.Payload.Length < NfgenmsgSize)
            {
                continue;
            }
            byte[]? orig = MatchingOriginalTuple(entry.Payload.AsSpan(NfgenmsgSize), port);
            if (orig is not null)
            {
                tuples.Add(orig);
            }
        }
        int deleted = 0;
        string what = $"udp dport {port}";
        foreach (byte[] tuple in tuples)
        {
            try
            {
                socket.Execute(Request(IPCTNL_MSG_CT_DELETE, NetlinkConstants.NLM_F_REQUEST | NetlinkConstants.NLM_F_ACK, socket.NextSequence(), tuple), "conntrack", what);
                deleted++;
            }
            catch (NamespaceException e) when (e.Errno == ENOENT)
            {
                // It expired meanwhile, which is what we wanted.
            }
        }
        return deleted;
    }

    private static Exception Error(string operation, string objectKind, string objectName, int errno, string? detail)
    {
        string text = $"netlink {operation} {objectKind} '{objectName}' failed: {LinuxNative.ErrnoText(errno)}";
        return new NamespaceException(string.IsNullOrEmpty(detail) ? text : $"{text}; {detail}", errno);
    }

    private static string MessageTypeName(ushort type) => (type & 0xff) switch
    {
        IPCTNL_MSG_CT_GET => "IPCTNL_MSG_CT_GET",
        IPCTNL_MSG_CT_DELETE => "IPCTNL_MSG_CT_DELETE",
        _ => $"message type {type}",
    };

    /// <summary>The whole CTA_TUPLE_ORIG attribute (header included) when it is UDP to <paramref name="port"/>.</summary>
    private static byte[]? MatchingOriginalTuple(ReadOnlySpan<byte> attributes, int port)
    {
        foreach ((ushort type, int start, int length) in Attributes(attributes))
        {
            if (type != CTA_TUPLE_ORIG)
            {
                continue;
            }
            ReadOnlySpan<byte> tuple = attributes.Slice(start + 4, length - 4);
            foreach ((ushort t, int s, int l) in Attributes(tuple))
            {
                if (t != CTA_TUPLE_PROTO)
                {
                    continue;
                }
                ReadOnlySpan<byte> proto = tuple.Slice(s + 4, l - 4);
                byte number = 0;
                int dport = -1;
                foreach ((ushort pt, int ps, int _) in Attributes(proto))
                {
                    if (pt == CTA_PROTO_NUM)
                    {
                        number = proto[ps + 4];
                    }
                    else if (pt == CTA_PROTO_DST_PORT)
                    {
                        dport = BinaryPrimitives.ReadUInt16BigEndian(proto.Slice(ps + 4));
                    }
                }
                if (number == IPPROTO_UDP && dport == port)
                {
                    return attributes.Slice(start, length).ToArray();
                }
            }
        }
        return null;
    }

    private static List<(ushort Type, int Start, int Length)> Attributes(ReadOnlySpan<byte> data)
    {
        var result = new List<(ushort, int, int)>();
        int offset = 0;
        while (offset + 4 <= data.Length)
        {
            ushort length = BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(offset));
            ushort type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(offset + 2)) & NetlinkConstants.NLA_TYPE_MASK);
            if (length < 4 || offset + length > data.Length)
            {
                break;
            }
            result.Add((type, offset, length));
            offset += NetlinkConstants.Align(length);
        }
        return result;
    }

    private static byte[] Request(int message, ushort flags, uint seq, byte[] payload)
    {
        int length = 16 + 4 + payload.Length;
        var buffer = new byte[NetlinkConstants.Align(length)];
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(4), (ushort)((NFNL_SUBSYS_CTNETLINK << 8) | message));
        BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(6), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(8), seq);
        buffer[16] = AF_INET; // nfgenmsg: family, version 0, res_id 0
        payload.CopyTo(buffer, 20);
        return buffer;
    }
}
