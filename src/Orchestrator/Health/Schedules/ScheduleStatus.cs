namespace Appliance.Orchestrator.Health.Schedules;

/// <summary>A registered schedule with its last and next run, for the UI and the API.</summary>
public sealed record ScheduleStatus(string Stack, string Name, string Cron, string Action, string? Service, DateTimeOffset? LastRun, string? LastResult,
    DateTimeOffset? NextRun);
