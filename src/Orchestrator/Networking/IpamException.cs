namespace Appliance.Orchestrator.Networking;

/// <summary>The address pool cannot satisfy a request (exhausted, misconfigured).</summary>
public sealed class IpamException : NetworkingException
{
    public IpamException(string message) : base(message)
    {
    }
}
