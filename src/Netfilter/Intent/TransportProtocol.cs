namespace Appliance.Netfilter.Intent;

/// <summary>The transport protocol of a published port or host service.</summary>
public enum TransportProtocol
{
    Tcp,
    Udp,
}
