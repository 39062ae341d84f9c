using System.Collections.Immutable;
using System.Net;

namespace Appliance.Orchestrator.Networking;

/// <summary>A stack's subnet and the addresses handed to its containers (by container name).</summary>
public sealed record StackSubnet(string StackName, IPNetwork Subnet, ImmutableSortedDictionary<string, IPAddress> Addresses)
{
    public StackSubnet(string stackName, IPNetwork subnet) : this(stackName, subnet, ImmutableSortedDictionary<string, IPAddress>.Empty.WithComparers(StringComparer.Ordinal))
    {
    }

    /// <summary>The bridge's own address: the first host of the subnet (.1).</summary>
    public IPAddress Gateway => Ipv4.Host(Subnet, 1);
}
