namespace Appliance.Netfilter.Errors;

/// <summary>A firewall backend could not be selected or used (unknown name, not available here).</summary>
public sealed class FirewallBackendException : FirewallException
{
    public FirewallBackendException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
