namespace Appliance.Orchestrator.Stacks.Definition;

/// <summary>An <c>environment</c> entry; a null value means "take it from the variables" (<c>- NAME</c>).</summary>
public sealed record EnvironmentEntry(string Name, string? Value, SourceLocation Location, string Path);
