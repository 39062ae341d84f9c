using System.Net;

namespace Appliance.Orchestrator.Networking;

/// <summary>A container wired to its stack's bridge: the host end of its veth pair and its address inside.</summary>
public sealed record ContainerAttachment(
    string StackName,
    string ContainerName,
    string HostInterface,
    string ContainerInterface,
    IPAddress Address,
    int PrefixLength,
    string NamespacePath);
