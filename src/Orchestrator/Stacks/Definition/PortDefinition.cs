namespace Appliance.Orchestrator.Stacks.Definition;

/// <summary>A <c>ports</c> entry: a host port (or range) published to a container port (or range of the same size).</summary>
public sealed record PortDefinition(
    string? HostIp,
    int HostPortStart,
    int HostPortEnd,
    int ContainerPortStart,
    int ContainerPortEnd,
    PortProtocol Protocol,
    SourceLocation Location,
    string Path)
{
    public int Count => HostPortEnd - HostPortStart + 1;
}
