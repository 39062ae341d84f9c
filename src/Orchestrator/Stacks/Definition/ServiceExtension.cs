namespace Appliance.Orchestrator.Stacks.Definition;

/// <summary>A service's <c>x-appliance</c>: exposure of its published ports and autoheal.</summary>
public sealed record ServiceExtension
{
    /// <summary>Default exposure of this service's published ports (<c>exposure:</c>); null = per-port rule or <c>lan</c>.</summary>
    public Exposure? Exposure { get; init; }

    public IReadOnlyList<string> Sources { get; init; } = [];

    public IReadOnlyList<PortExposureDefinition> Ports { get; init; } = [];

    public AutohealDefinition? Autoheal { get; init; }
}
