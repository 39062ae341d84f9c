using Appliance.Orchestrator.Stacks.Definition;

namespace Appliance.Orchestrator.Stacks.Resolved;

/// <summary>
/// What the engine deploys: a stack with every default applied, variables interpolated, env files
/// merged, port ranges expanded, exposures assigned, and services in dependency order (a service
/// comes after everything it depends on).
/// </summary>
public sealed record ResolvedStack
{
    /// <summary>The stack name: <c>name:</c>, else the stack file's folder name, lower-case.</summary>
    public required string Name { get; init; }

    /// <summary>The stack file (as given to the loader).</summary>
    public required string File { get; init; }

    public required IReadOnlyList<ResolvedService> Services { get; init; }

    public IReadOnlyList<ResolvedVolume> Volumes { get; init; } = [];

    /// <summary>The one bridge network of the stack (Compose <c>default</c> or the one named network).</summary>
    public required string Network { get; init; }

    public IReadOnlyList<ResolvedParameter> Parameters { get; init; } = [];

    public IReadOnlyList<ResolvedSchedule> Schedules { get; init; } = [];

    public CatalogInfo? Catalog { get; init; }

    /// <summary>The definition this was resolved from (positions, for the editor).</summary>
    public required StackDefinition Definition { get; init; }

    public ResolvedService? FindService(string name) => Services.FirstOrDefault(s => s.Name == name);
}
