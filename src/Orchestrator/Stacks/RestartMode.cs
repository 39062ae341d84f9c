namespace Appliance.Orchestrator.Stacks;

/// <summary>Compose restart policies.</summary>
public enum RestartMode
{
    No,
    Always,
    OnFailure,
    UnlessStopped,
}
