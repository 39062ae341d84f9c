using System.Net;

namespace Appliance.Netfilter.Intent;

/// <summary>
/// A container port reachable through the host: connections to <see cref="HostAddress"/>
/// (any of the host's own addresses when null) on <see cref="HostPort"/> are DNAT'd to
/// <see cref="ContainerAddress"/>:<see cref="ContainerPort"/>, for the sources <see cref="Exposure"/>
/// allows (the host itself always may).
/// </summary>
public sealed record PublishedPort
{
    /// <summary>A host address to publish on (e.g. 127.0.0.1 or one LAN address); null = all.</summary>
    public IPAddress? HostAddress { get; init; }

    public required int HostPort { get; init; }

    public required IPAddress ContainerAddress { get; init; }

    public required int ContainerPort { get; init; }

    public TransportProtocol Protocol { get; init; } = TransportProtocol.Tcp;

    public Exposure Exposure { get; init; } = Exposure.Lan;

    /// <summary>Published on a loopback address: only the host itself can use it, whatever the exposure says.</summary>
    public bool IsLoopbackOnly => HostAddress is not null && IPAddress.IsLoopback(HostAddress);

    public override string ToString() =>
        $"{(HostAddress is null ? "" : HostAddress + ":")}{HostPort}->{ContainerAddress}:{ContainerPort}/{Protocol.ToString().ToLowerInvariant()} ({Exposure})";
}
