using Quartz;

namespace Appliance.Orchestrator.Health.Schedules;

/// <summary>
/// What happens to runs a schedule missed while the daemon was down (or the box was off): <b>run once, as soon as the
/// daemon is back, then resume the normal times</b> — however many were missed (a nightly backup missed for three days
/// runs once, not three times). While the daemon runs, Quartz's FireAndProceed does the same for a late trigger.
/// </summary>
public static class MisfirePolicy
{
    /// <summary>The first fire time missed between the last run (or when the schedule was registered) and now, or null.</summary>
    public static DateTimeOffset? MissedSince(string cron, DateTimeOffset? lastRun, DateTimeOffset registered, DateTimeOffset now)
    {
        var expression = new CronExpression(cron); // in the box's local time zone, as a person writes "03:00"
        DateTimeOffset? next = expression.GetNextValidTimeAfter(lastRun ?? registered);
        return next is DateTimeOffset due && due <= now ? due : null;
    }

    /// <summary>Checks a cron expression (Quartz syntax: seconds minutes hours day-of-month month day-of-week [year]); null when valid.</summary>
    public static string? Validate(string cron)
    {
        try
        {
            _ = new CronExpression(cron);
            return null;
        }
        catch (FormatException e)
        {
            return $"'{cron}' is not a cron expression: {e.Message}; write seconds minutes hours day-of-month month day-of-week, e.g. \"0 0 3 * * ?\" for 03:00 every day";
        }
    }
}
