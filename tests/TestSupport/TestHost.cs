using Appliance.Netfilter.Linux;

namespace Appliance.TestSupport;

/// <summary>One machine of the test box: a network namespace with an address on a LAN or WAN link.</summary>
public sealed record TestHost(string Role, string NamespaceName, string Address, string Subnet)
{
    public NetworkNamespace Namespace => NetworkNamespace.Named(NamespaceName);

    public string NamespacePath => Namespace.Path;
}
