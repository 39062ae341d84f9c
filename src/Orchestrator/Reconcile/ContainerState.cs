namespace Appliance.Orchestrator.Reconcile;

/// <summary>What the runtime reports for one service's container.</summary>
public enum ContainerState
{
    /// <summary>No container for the service.</summary>
    Missing,

    Created,

    Running,

    /// <summary>Its process ended; <see cref="ObservedService.ExitCode"/> says how.</summary>
    Exited,
}
