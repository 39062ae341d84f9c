namespace Appliance.Orchestrator.Networking;

/// <summary>The root of the networking errors: netlink requests and address management.</summary>
public abstract class NetworkingException : Exception
{
    protected NetworkingException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
