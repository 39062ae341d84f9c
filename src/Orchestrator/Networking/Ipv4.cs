using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Appliance.Orchestrator.Networking;

/// <summary>IPv4 arithmetic on <see cref="IPAddress"/> and <see cref="IPNetwork"/> (host byte order inside).</summary>
internal static class Ipv4
{
    public static uint ToUInt32(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"'{address}' is not an IPv4 address", nameof(address));
        }
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    public static IPAddress FromUInt32(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    public static uint Mask(int prefixLength) => prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);

    public static IPNetwork NetworkOf(IPAddress address, int prefixLength)
    {
        return new IPNetwork(FromUInt32(ToUInt32(address) & Mask(prefixLength)), prefixLength);
    }

    public static uint First(IPNetwork network) => ToUInt32(network.BaseAddress);

    public static uint Last(IPNetwork network) => First(network) | ~Mask(network.PrefixLength);

    public static bool Overlaps(IPNetwork a, IPNetwork b) =>
        a.BaseAddress.AddressFamily == AddressFamily.InterNetwork && b.BaseAddress.AddressFamily == AddressFamily.InterNetwork &&
        First(a) <= Last(b) && First(b) <= Last(a);

    /// <summary>The n-th address of a network (n = 1 is the gateway of a /24).</summary>
    public static IPAddress Host(IPNetwork network, uint n) => FromUInt32(First(network) + n);
}
