using System.Net;
using Appliance.Netfilter.Intent;

namespace Appliance.Netfilter.Inspection;

/// <summary>
/// A published port as the live ruleset has it (Appliance's DNAT maps and access sets in the
/// kernel, not the intent): where it leads and who may open it from outside the box.
/// </summary>
/// <param name="HostAddress">The host address it is published on; null for every address.</param>
/// <param name="Reach">
/// <see cref="ExposureKind.HostOnly"/> when only the box itself can connect (no DNAT from outside,
/// or no source allowed); <see cref="ExposureKind.Lan"/>, <see cref="ExposureKind.Internet"/> or
/// <see cref="ExposureKind.Sources"/> with <paramref name="Sources"/> the allowed networks.
/// </param>
public sealed record LivePublishedPort(IPAddress? HostAddress, int HostPort, TransportProtocol Protocol, IPAddress ContainerAddress,
    int ContainerPort, ExposureKind Reach, IReadOnlyList<string> Sources);
