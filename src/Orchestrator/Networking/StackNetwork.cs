using System.Net;

namespace Appliance.Orchestrator.Networking;

/// <summary>A stack's network as created: its bridge, subnet and gateway (the bridge's address).</summary>
public sealed record StackNetwork(string StackName, string BridgeName, IPNetwork Subnet, IPAddress Gateway);
