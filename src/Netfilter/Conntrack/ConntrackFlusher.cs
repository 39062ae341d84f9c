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
    private const ushort NLM_F_REQUEST = 0x1;
    private const ushort NLM_F_ACK = 0x4;
    private const ushort NLM_F_DUMP = 0x300;
    private const ushort NLMSG_ERROR = 2;
    private const ushort NLMSG_DONE = 3;
    private const int NFNL_SUBSYS_CTNETLINK = 1;
    private const int IPCTNL_MSG_CT_GET = 1;
    private const int IPCTNL_MSG_CT_DELETE = 2;
    private const ushort CTA_TUPLE_ORIG = 1;
    private const ushort CTA_TUPLE_PROTO = 2;
    private const ushort CTA_PROTO_NUM = 1;
    private const ushort CTA_PROTO_DST_PORT = 3;
    private const ushort NLA_TYPE_MASK = 0x3fff;
    private const byte AF_INET = 2;
    private const byte IPPROTO_UDP = 17;

    /// <summary>Deletes the IPv4 UDP entries whose original destination port is <paramref name="port"/>; returns how many.</summary>
    public static int FlushUdpByDestinationPort(int port)
    {
        using RawNetlinkSocket socket = RawNetlinkSocket.Open(LinuxNetlinkNative.NETLINK_NETFILTER, "conntrack");
        var tuples = new List<byte[]>();
        uint seq = 1;
        socket.Send(Request(IPCTNL_MSG_CT_GET, NLM_F_REQUEST | NLM_F_DUMP, seq, []), "conntrack dump");
        var buffer = new byte[1 << 16];
        bool done = false;
        while (!done)
        {
            int read = socket.Receive(buffer, "conntrack dump");
            int offset = 0;
            while (offset + 16 <= read)
            {
                int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset));
                ushort type = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(offset + 4));
                if (length < 16 || offset + length > read)
                {
                    break;
                }
                if (type == NLMSG_DONE)
                {
                    done = true;
                    break;
                }
                if (type == NLMSG_ERROR)
                {
                    int error = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(offset + 16));
                    if (error != 0)
                    {
                        throw new NamespaceException($"ctnetlink dump failed: {LinuxNative.ErrnoText(-error)}", -error);
                    }
                    done = true;
                    break;
                }
                byte[]? orig = MatchingOriginalTuple(buffer.AsSpan(offset + 20, length - 20), port);
                if (orig is not null)
                {
                    tuples.Add(orig);
                }
                offset += Align(length);
            }
        }
        int deleted = 0;
        foreach (byte[] tuple in tuples)
        {
            socket.Send(Request(IPCTNL_MSG_CT_DELETE, NLM_F_REQUEST | NLM_F_ACK, ++seq, tuple), "conntrack delete");
            int read = socket.Receive(buffer, "conntrack delete");
            int error = read >= 20 ? BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(16)) : 0;
            // ENOENT: it expired meanwhile, which is what we wanted.
            if (error == 0)
            {
                deleted++;
            }
            else if (-error != 2)
            {
                throw new NamespaceException($"ctnetlink delete failed: {LinuxNative.ErrnoText(-error)}", -error);
            }
        }
        return deleted;
    }

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
            ushort type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(offset + 2)) & NLA_TYPE_MASK);
            if (length < 4 || offset + length > data.Length)
            {
                break;
            }
            result.Add((type, offset, length));
            offset += Align(length);
        }
        return result;
    }

    private static byte[] Request(int message, ushort flags, uint seq, byte[] payload)
    {
        int length = 16 + 4 + payload.Length;
        var buffer = new byte[Align(length)];
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(4), (ushort)((NFNL_SUBSYS_CTNETLINK << 8) | message));
        BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(6), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(8), seq);
        buffer[16] = AF_INET; // nfgenmsg: family, version 0, res_id 0
        payload.CopyTo(buffer, 20);
        return buffer;
    }

    private static int Align(int length) => (length + 3) & ~3;
}
