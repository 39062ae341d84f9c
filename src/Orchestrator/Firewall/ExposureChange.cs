using Appliance.Netfilter.Intent;

namespace Appliance.Orchestrator.Firewall;

/// <summary>
/// An owner's change of who may reach one published port, applied and waiting for its confirm:
/// unconfirmed at <see cref="Deadline"/>, the port goes back to <see cref="Previous"/>.
/// </summary>
/// <param name="PreviousOverride">The owner's earlier choice for this port, or null when the stack file's exposure applied.</param>
public sealed record ExposureChange(string Id, string Stack, int HostPort, TransportProtocol Protocol, Exposure Previous,
    Exposure? PreviousOverride, Exposure Next, DateTimeOffset Deadline)
{
    public string Description =>
        $"{Stack}: port {HostPort}/{Protocol.ToString().ToLowerInvariant()} from {Words(Previous)} to {Words(Next)}";

    /// <summary>An exposure in the words of the UI.</summary>
    public static string Words(Exposure exposure) => exposure.Kind switch
    {
        ExposureKind.HostOnly => "host only",
        ExposureKind.Lan => "LAN",
        ExposureKind.Internet => "internet",
        _ => string.Join(", ", exposure.Sources),
    };
}
