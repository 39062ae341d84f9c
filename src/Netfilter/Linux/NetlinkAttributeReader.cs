using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace Appliance.Netfilter.Linux;

/// <summary>
/// Walks the attributes of a received message (after its fixed header), or of a nested
/// attribute. Stops quietly at a truncated attribute rather than reading past the span.
/// </summary>
internal ref struct NetlinkAttributeReader
{
    private ReadOnlySpan<byte> _remaining;

    public NetlinkAttributeReader(ReadOnlySpan<byte> attributes)
    {
        _remaining = attributes;
        Type = 0;
        Payload = default;
    }

    /// <summary>The current attribute's type, without the NLA_F_NESTED / byte-order flags.</summary>
    public ushort Type { get; private set; }

    public ReadOnlySpan<byte> Payload { get; private set; }

    public bool MoveNext()
    {
        int headerSize = Marshal.SizeOf<rtattr>();
        if (_remaining.Length < headerSize)
        {
            return false;
        }
        rtattr header = MemoryMarshal.Read<rtattr>(_remaining);
        if (header.rta_len < headerSize || header.rta_len > _remaining.Length)
        {
            _remaining = default;
            return false;
        }
        Type = (ushort)(header.rta_type & NetlinkConstants.NLA_TYPE_MASK);
        Payload = _remaining[headerSize..header.rta_len];
        int next = Math.Min(NetlinkConstants.Align(header.rta_len), _remaining.Length);
        _remaining = _remaining[next..];
        return true;
    }

    public static string ReadString(ReadOnlySpan<byte> payload)
    {
        int end = payload.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end >= 0 ? payload[..end] : payload);
    }

    public static uint ReadUInt32(ReadOnlySpan<byte> payload) =>
        payload.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(payload) : 0;

    public static IPAddress? ReadAddress(ReadOnlySpan<byte> payload) =>
        payload.Length is 4 or 16 ? new IPAddress(payload) : null;
}
