namespace Appliance.Orchestrator.Stacks.Definition;

/// <summary>A top-level <c>volumes:</c> entry. <see cref="Name"/> is the key; <see cref="StorageName"/> is <c>name:</c> if given.</summary>
public sealed record VolumeDefinition(string Name, string? StorageName, IReadOnlyList<KeyValuePair<string, string>> Labels, SourceLocation Location);
