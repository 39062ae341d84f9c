namespace Appliance.Orchestrator.Reconcile;

/// <summary>Reads the supervision model (restart policies, health checks, depends_on, autoheal, schedules) from a deployed stack file
/// (an adapter over the stack parser).</summary>
public interface IStackModelReader
{
    StackModel Read(StackDeployment deployment);
}
