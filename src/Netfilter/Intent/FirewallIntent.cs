using System.Net;

namespace Appliance.Netfilter.Intent;

/// <summary>
/// What the box's firewall should allow, as the owner and the stacks asked for it. A pure value:
/// the compiler turns it into one ruleset in Appliance's own table; the backends apply it.
/// Everything not allowed here is dropped on input and forward (for what Appliance governs: the
/// host's input, and any forward to or from a stack bridge).
/// </summary>
public sealed record FirewallIntent
{
    public const string DefaultTableName = "appliance";

    /// <summary>The nftables table Appliance owns (family inet). Nothing else is ever touched.</summary>
    public string TableName { get; init; } = DefaultTableName;

    /// <summary>The box's LAN subnets: what exposure <c>lan</c> means. Default: the RFC 1918 ranges.</summary>
    public IReadOnlyList<IPNetwork> LanSubnets { get; init; } =
        [IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.168.0.0/16")];

    /// <summary>Services of the box itself (admin UI, SSH, ...) and who may reach them.</summary>
    public IReadOnlyList<HostService> HostServices { get; init; } = [];

    public IReadOnlyList<StackNetwork> Stacks { get; init; } = [];

    public PacketMark Mark { get; init; } = PacketMark.Default;

    /// <summary>
    /// Input to the host that no host service, published port or reply allows is dropped (true,
    /// the default: the host stays deny-by-default). False leaves unmatched input to the host's
    /// own firewall.
    /// </summary>
    public bool DropUnmatchedInput { get; init; } = true;

    /// <summary>An empty intent: nothing of Appliance's allowed beyond loopback and replies.</summary>
    public static FirewallIntent Empty { get; } = new();
}
