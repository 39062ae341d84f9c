namespace Appliance.Orchestrator.Stacks.Resolved;

/// <summary>
/// One published port: connections to <see cref="HostPort"/> on the host (all addresses when
/// <see cref="HostIp"/> is null) go to <see cref="ContainerPort"/>, allowed from <see cref="Exposure"/>
/// and, when not empty, only from <see cref="Sources"/> (CIDRs).
/// </summary>
public sealed record PublishedPort(
    string? HostIp,
    int HostPort,
    int ContainerPort,
    PortProtocol Protocol,
    Exposure Exposure,
    IReadOnlyList<string> Sources);
