namespace Appliance.Orchestrator.Stacks.Definition;

/// <summary>An <c>env_file</c> entry: a path relative to the stack file's folder.</summary>
public sealed record EnvFileReference(string Path, bool Required, SourceLocation Location, string KeyPath);
