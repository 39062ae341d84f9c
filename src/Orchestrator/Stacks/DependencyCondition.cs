namespace Appliance.Orchestrator.Stacks;

/// <summary>When a dependency counts as ready (Compose <c>depends_on.condition</c>).</summary>
public enum DependencyCondition
{
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
}
