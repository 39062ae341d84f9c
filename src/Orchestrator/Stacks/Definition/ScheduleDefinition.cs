namespace Appliance.Orchestrator.Stacks.Definition;

/// <summary>An <c>x-appliance.schedules</c> entry.</summary>
public sealed record ScheduleDefinition(
    string Name,
    string Cron,
    ScheduleAction Action,
    string? Service,
    IReadOnlyList<string>? Command,
    SourceLocation Location,
    string Path);
