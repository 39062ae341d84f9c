namespace Appliance.Orchestrator.Reconcile;

/// <summary>A stack as found on the box: its services' containers (a service with no container is <see cref="ContainerState.Missing"/>).</summary>
public sealed record StackObservation(string Stack, IReadOnlyList<ObservedService> Services)
{
    public bool AllRunning => Services.Count > 0 && Services.All(s => s.State == ContainerState.Running);
}
