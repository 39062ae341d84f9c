namespace Appliance.Orchestrator.Stacks.Definition;

/// <summary>The top-level <c>x-appliance</c>: catalog metadata, install parameters and schedules.</summary>
public sealed record StackExtension
{
    public CatalogInfo? Catalog { get; init; }

    public IReadOnlyList<ParameterDefinition> Parameters { get; init; } = [];

    public IReadOnlyList<ScheduleDefinition> Schedules { get; init; } = [];
}
