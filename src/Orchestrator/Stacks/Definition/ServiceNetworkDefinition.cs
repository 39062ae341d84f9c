namespace Appliance.Orchestrator.Stacks.Definition;

/// <summary>A network a service joins (<c>networks: [x]</c> or <c>networks: {x: {aliases: [..]}}</c>).</summary>
public sealed record ServiceNetworkDefinition(string Name, IReadOnlyList<string> Aliases, SourceLocation Location, string Path);
