using System.Net;
using Appliance.Netfilter.Intent;
using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.Stacks.Resolved;
using StackNetwork = Appliance.Netfilter.Intent.StackNetwork;
using IntentExposure = Appliance.Netfilter.Intent.Exposure;
using IntentPublishedPort = Appliance.Netfilter.Intent.PublishedPort;

namespace Appliance.Orchestrator.Firewall;

/// <summary>
/// What a deployed stack needs from the firewall, derived from the stack file and its IPAM
/// allocation: its bridge and subnet (so its containers reach each other even behind a
/// deny-by-default host), and each published port with the exposure the stack file gave it.
/// A pure function: the firewall never learns anything the stack file did not say.
/// </summary>
public static class StackFirewallIntent
{
    public static StackNetwork For(ResolvedStack stack, StackSubnet subnet)
    {
        var ports = new List<IntentPublishedPort>();
        foreach (ResolvedService service in stack.Services)
        {
            if (service.Ports.Count == 0)
            {
                continue;
            }
            if (!subnet.Addresses.TryGetValue(service.Name, out IPAddress? address))
            {
                throw new InvalidOperationException(
                    $"stack '{stack.Name}': service '{service.Name}' publishes ports but has no address in {subnet.Subnet}; deploy the stack again");
            }
            foreach (Stacks.Resolved.PublishedPort port in service.Ports)
            {
                ports.Add(new IntentPublishedPort
                {
                    HostAddress = port.HostIp is null ? null : IPAddress.Parse(port.HostIp.Trim('[', ']')),
                    HostPort = port.HostPort,
                    ContainerAddress = address,
                    ContainerPort = port.ContainerPort,
                    Protocol = port.Protocol == PortProtocol.Udp ? TransportProtocol.Udp : TransportProtocol.Tcp,
                    Exposure = ToIntent(port),
                });
            }
        }
        return new StackNetwork
        {
            Name = stack.Name,
            Bridge = InterfaceNames.Bridge(stack.Name),
            Subnet = subnet.Subnet,
            ContainerAddresses = subnet.Addresses.Values.ToList(),
            PublishedPorts = ports,
        };
    }

    private static IntentExposure ToIntent(Stacks.Resolved.PublishedPort port)
    {
        if (port.Sources.Count > 0)
        {
            return IntentExposure.FromSources(port.Sources.Select(IPNetwork.Parse));
        }
        return port.Exposure switch
        {
            Stacks.Exposure.HostOnly => IntentExposure.HostOnly,
            Stacks.Exposure.Internet => IntentExposure.Internet,
            _ => IntentExposure.Lan,
        };
    }
}
