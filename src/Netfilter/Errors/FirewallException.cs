namespace Appliance.Netfilter.Errors;

/// <summary>The root of Appliance.Netfilter's errors. Leaves are sealed and carry their data.</summary>
public abstract class FirewallException : Exception
{
    protected FirewallException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
