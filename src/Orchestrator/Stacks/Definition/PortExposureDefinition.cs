namespace Appliance.Orchestrator.Stacks.Definition;

/// <summary>One <c>x-appliance.ports</c> entry: who may reach a published host port (or range).</summary>
public sealed record PortExposureDefinition(
    int PortStart,
    int PortEnd,
    PortProtocol? Protocol,
    Exposure Exposure,
    IReadOnlyList<string> Sources,
    SourceLocation Location,
    string Path);
