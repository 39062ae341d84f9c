namespace Appliance.Orchestrator.Health.Schedules;

/// <summary>What a scheduled job does (<c>x-appliance.schedules[].action</c>).</summary>
public enum ScheduleAction
{
    /// <summary>Restart the service (or every service of the stack).</summary>
    Restart,

    /// <summary>Check whether newer images exist for the stack's tags and record an event (no automatic update).</summary>
    UpdateCheck,

    /// <summary>Run a command inside the service's container (e.g. a backup).</summary>
    Command,
}
