using System.Net;

namespace Appliance.Orchestrator.Networking;

/// <summary>Where stack subnets come from: <see cref="Pool"/> cut into /<see cref="SubnetPrefixLength"/>s.</summary>
public sealed record IpamOptions
{
    public static IpamOptions Default { get; } = new();

    public IPNetwork Pool { get; init; } = IPNetwork.Parse("10.88.0.0/16");

    public int SubnetPrefixLength { get; init; } = 24;
}
