namespace Appliance.Orchestrator.Stacks.Definition;

/// <summary>A stack file as the user wrote it (typed, positioned, not yet resolved).</summary>
public sealed record StackDefinition
{
    public required string File { get; init; }

    public string? Name { get; init; }

    public IReadOnlyList<ServiceDefinition> Services { get; init; } = [];

    public IReadOnlyList<VolumeDefinition> Volumes { get; init; } = [];

    public IReadOnlyList<NetworkDefinition> Networks { get; init; } = [];

    public StackExtension? Appliance { get; init; }
}
