namespace Appliance.Orchestrator.Stacks;

/// <summary>What a schedule does when it fires.</summary>
public enum ScheduleAction
{
    /// <summary>Restart the service (or every service of the stack).</summary>
    Restart,

    /// <summary>Check the registry for newer images and report them.</summary>
    UpdateCheck,

    /// <summary>Run a command in the service's container.</summary>
    Command,
}
