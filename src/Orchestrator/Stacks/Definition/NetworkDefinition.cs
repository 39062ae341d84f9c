namespace Appliance.Orchestrator.Stacks.Definition;

/// <summary>A top-level <c>networks:</c> entry (a bridge; a stack gets exactly one bridge).</summary>
public sealed record NetworkDefinition(string Name, string? BridgeName, SourceLocation Location);
