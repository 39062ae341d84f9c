using System.Net;

namespace Appliance.Orchestrator.Networking;

/// <summary>One container to wire: its name, the path of its network namespace and its address.</summary>
public sealed record ContainerEndpoint(string ContainerName, string NamespacePath, IPAddress Address);
