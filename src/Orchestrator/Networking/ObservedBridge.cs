namespace Appliance.Orchestrator.Networking;

/// <summary>An Appliance bridge (ap-*) found in the host namespace, with its addresses and ports.</summary>
public sealed record ObservedBridge(LinkInfo Link, IReadOnlyList<AddressInfo> Addresses, IReadOnlyList<LinkInfo> Ports)
{
    public string Name => Link.Name;
}
