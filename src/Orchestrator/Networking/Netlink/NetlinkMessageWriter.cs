using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using Appliance.Netfilter.Linux;

namespace Appliance.Orchestrator.Networking.Netlink;

/// <summary>
/// Builds one netlink request in a caller-provided span: the nlmsghdr, a fixed family header
/// (ifinfomsg, ifaddrmsg, rtmsg) and attributes, nested ones included, each padded to 4 bytes
/// as NLMSG_ALIGN / RTA_ALIGN do. No allocation, no pointers.
/// </summary>
internal ref struct NetlinkMessageWriter
{
    private readonly Span<byte> _buffer;
    private int _length;

    public NetlinkMessageWriter(Span<byte> buffer, ushort type, ushort flags, uint sequence)
    {
        _buffer = buffer;
        _length = 0;
        Write(new nlmsghdr { nlmsg_type = type, nlmsg_flags = flags, nlmsg_seq = sequence });
    }

    public static int Align(int length) => NetlinkConstants.Align(length);

    /// <summary>Appends a fixed header (or any unmanaged struct), padded.</summary>
    public void Write<T>(in T value) where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        Span<byte> target = Reserve(Align(size));
        MemoryMarshal.Write(target, in value);
    }

    public void Attribute(ushort type, scoped ReadOnlySpan<byte> payload)
    {
        int length = Marshal.SizeOf<rtattr>() + payload.Length;
        if (length > ushort.MaxValue)
        {
            throw new ArgumentException($"netlink attribute {type} is too long ({payload.Length} bytes)", nameof(payload));
        }
        Span<byte> target = Reserve(Align(length));
        MemoryMarshal.Write(target, new rtattr { rta_len = (ushort)length, rta_type = type });
        payload.CopyTo(target[Marshal.SizeOf<rtattr>()..]);
    }

    public void Attribute(ushort type, uint value)
    {
        Span<byte> payload = stackalloc byte[4];
        MemoryMarshal.Write(payload, in value);
        Attribute(type, payload);
    }

    public void Attribute(ushort type, int value) => Attribute(type, unchecked((uint)value));

    public void Attribute(ushort type, byte value)
    {
        Span<byte> payload = stackalloc byte[1];
        payload[0] = value;
        Attribute(type, payload);
    }

    /// <summary>A NUL-terminated string attribute (IFLA_IFNAME, IFLA_INFO_KIND).</summary>
    public void Attribute(ushort type, string value)
    {
        Span<byte> payload = stackalloc byte[Encoding.UTF8.GetMaxByteCount(value.Length) + 1];
        int written = Encoding.UTF8.GetBytes(value, payload);
        payload[written] = 0;
        Attribute(type, payload[..(written + 1)]);
    }

    /// <summary>An IPv4 address attribute, network byte order.</summary>
    public void Attribute(ushort type, IPAddress address)
    {
        Span<byte> payload = stackalloc byte[16];
        if (!address.TryWriteBytes(payload, out int written))
        {
            throw new ArgumentException($"address '{address}' could not be encoded", nameof(address));
        }
        Attribute(type, payload[..written]);
    }

    /// <summary>Opens a nested attribute; returns its offset for <see cref="EndNested"/>.</summary>
    public int BeginNested(ushort type)
    {
        int start = _length;
        Span<byte> target = Reserve(Marshal.SizeOf<rtattr>());
        MemoryMarshal.Write(target, new rtattr { rta_len = 0, rta_type = (ushort)(type | Rtnl.NLA_F_NESTED) });
        return start;
    }

    public void EndNested(int start)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer[start..], checked((ushort)(_length - start)));
    }

    /// <summary>Sets nlmsg_len and returns the finished message.</summary>
    public ReadOnlySpan<byte> Finish()
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer, (uint)_length);
        return _buffer[.._length];
    }

    private Span<byte> Reserve(int length)
    {
        if (_length + length > _buffer.Length)
        {
            throw new InvalidOperationException($"netlink request does not fit in {_buffer.Length} bytes");
        }
        Span<byte> target = _buffer.Slice(_length, length);
        target.Clear();
        _length += length;
        return target;
    }
}
