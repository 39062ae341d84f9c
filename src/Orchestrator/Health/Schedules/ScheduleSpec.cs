namespace Appliance.Orchestrator.Health.Schedules;

/// <summary>One entry of <c>x-appliance.schedules</c>: a Quartz cron expression (seconds first, e.g. "0 0 3 * * ?") and an action.</summary>
/// <param name="Service">The service it acts on; null means every service (restart) or the stack (update-check).</param>
/// <param name="Command">For <see cref="ScheduleAction.Command"/>: the argv run in the service's container.</param>
public sealed record ScheduleSpec(string Name, string Cron, ScheduleAction Action, string? Service = null, IReadOnlyList<string>? Command = null);
