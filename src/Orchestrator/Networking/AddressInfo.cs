using System.Net;

namespace Appliance.Orchestrator.Networking;

/// <summary>An IPv4 address on a link (RTM_GETADDR).</summary>
public sealed record AddressInfo(int LinkIndex, IPAddress Address, int PrefixLength)
{
    /// <summary>The subnet the address lives in, e.g. 10.88.3.0/24 for 10.88.3.1/24.</summary>
    public IPNetwork Network => Ipv4.NetworkOf(Address, PrefixLength);

    public override string ToString() => $"{Address}/{PrefixLength} (link {LinkIndex})";
}
