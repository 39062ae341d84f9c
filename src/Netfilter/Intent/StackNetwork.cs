using System.Net;

namespace Appliance.Netfilter.Intent;

/// <summary>
/// One stack's network as the firewall sees it: a bridge, its subnet, the addresses of its
/// containers, its published ports and whether its containers may reach beyond the box.
/// Containers of one stack always reach each other; stacks are isolated from each other.
/// </summary>
public sealed record StackNetwork
{
    /// <summary>The stack's name (for explanations and logs), e.g. "gitlab".</summary>
    public required string Name { get; init; }

    /// <summary>The Linux bridge of the stack, e.g. "ap-gitlab" (at most 15 bytes).</summary>
    public required string Bridge { get; init; }

    public required IPNetwork Subnet { get; init; }

    /// <summary>The containers' addresses in <see cref="Subnet"/> (for explanations and validation).</summary>
    public IReadOnlyList<IPAddress> ContainerAddresses { get; init; } = [];

    public IReadOnlyList<PublishedPort> PublishedPorts { get; init; } = [];

    /// <summary>Containers may open connections beyond the box (masqueraded). Default true.</summary>
    public bool EgressAllowed { get; init; } = true;
}
