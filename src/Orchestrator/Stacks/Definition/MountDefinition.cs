namespace Appliance.Orchestrator.Stacks.Definition;

/// <summary>A <c>volumes</c> (or <c>tmpfs</c>) entry of a service. Source is a volume name, a host path (as written), or null for tmpfs.</summary>
public sealed record MountDefinition(
    MountType Type,
    string? Source,
    string Target,
    bool ReadOnly,
    long? TmpfsSize,
    SourceLocation Location,
    string Path);
