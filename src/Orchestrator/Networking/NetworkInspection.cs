namespace Appliance.Orchestrator.Networking;

/// <summary>What Appliance's networking looks like in the host namespace right now (for reconcile).</summary>
public sealed record NetworkInspection(IReadOnlyList<ObservedBridge> Bridges, IReadOnlyList<LinkInfo> StrayVeths)
{
    public ObservedBridge? FindBridge(string stackName) =>
        Bridges.FirstOrDefault(b => b.Name == InterfaceNames.Bridge(stackName));
}
