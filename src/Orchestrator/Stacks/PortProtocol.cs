namespace Appliance.Orchestrator.Stacks;

/// <summary>Transport protocol of a published port.</summary>
public enum PortProtocol
{
    Tcp,
    Udp,
}
