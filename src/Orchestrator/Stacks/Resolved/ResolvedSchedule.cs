namespace Appliance.Orchestrator.Stacks.Resolved;

/// <summary>A schedule: 5-field cron (minute hour day-of-month month day-of-week), its action and target.</summary>
public sealed record ResolvedSchedule(string Name, string Cron, ScheduleAction Action, string? Service, IReadOnlyList<string>? Command);
