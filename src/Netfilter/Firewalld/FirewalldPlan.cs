using System.Net;
using System.Net.Sockets;
using Appliance.Netfilter.Intent;

namespace Appliance.Netfilter.Firewalld;

/// <summary>
/// What firewalld must hold for an intent: Appliance's zone (the stack bridges, target default);
/// one policy from that zone to ANY whose rich rules let a stack's containers reach each other,
/// reject traffic to other stacks and accept egress where the stack allows it; and one policy
/// from ANY to HOST accepting the host services (admin UI, SSH) from their allowed sources. Each
/// is null when nothing needs it: with no stack and no host service Appliance leaves nothing in
/// firewalld. A pure function.
/// Published ports need nothing here: firewalld (1.x, StrictForwardPorts=no) accepts DNAT'd
/// flows itself (<c>ct status dnat accept</c>), and Appliance's own table only DNATs from the
/// sources a port's exposure allows.
/// </summary>
public sealed record FirewalldPlan(FirewalldZone? Zone, FirewalldPolicy? Policy, FirewalldPolicy? HostPolicy)
{
    public const int IntraStackPriority = -30;
    public const int IsolationPriority = -20;
    public const int EgressPriority = -10;

    public static FirewalldPlan From(FirewallIntent intent, FirewalldOptions options)
    {
        FirewalldPolicy? hostPolicy = HostPolicyFor(intent, options);
        if (intent.Stacks.Count == 0)
        {
            return new FirewalldPlan(null, null, hostPolicy);
        }
        var zone = new FirewalldZone
        {
            Name = options.ZoneName,
            Short = "Appliance",
            Description = "Bridges of Appliance's stacks. Managed by Appliance: changed with its stacks, removed with the last one.",
            Target = "default",
            Interfaces = intent.Stacks.Select(s => s.Bridge).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray(),
            Forward = false,
        };
        var rules = new List<string>();
        foreach (StackNetwork stack in intent.Stacks)
        {
            rules.Add(Rule(IntraStackPriority, stack.Subnet, source: stack.Subnet, destination: stack.Subnet, "accept"));
        }
        foreach (StackNetwork stack in intent.Stacks)
        {
            rules.Add(Rule(IsolationPriority, stack.Subnet, source: null, destination: stack.Subnet, "reject"));
        }
        foreach (StackNetwork stack in intent.Stacks.Where(s => s.EgressAllowed))
        {
            rules.Add(Rule(EgressPriority, stack.Subnet, source: stack.Subnet, destination: null, "accept"));
        }
        var policy = new FirewalldPolicy
        {
            Name = options.PolicyName,
            Short = "Appliance stacks",
            Description = "Traffic leaving Appliance's stack bridges: within a stack accepted, to another stack rejected, " +
                          "beyond the box accepted for stacks with egress. Managed by Appliance.",
            Target = "CONTINUE",
            Priority = -1,
            IngressZones = [options.ZoneName],
            EgressZones = ["ANY"],
            RichRules = rules.Distinct(StringComparer.Ordinal).ToArray(),
        };
        return new FirewalldPlan(zone, policy, hostPolicy);
    }

    private static FirewalldPolicy? HostPolicyFor(FirewallIntent intent, FirewalldOptions options)
    {
        var rules = new List<string>();
        foreach (HostService service in intent.HostServices)
        {
            string protocol = service.Protocol == TransportProtocol.Udp ? "udp" : "tcp";
            foreach (IPNetwork source in service.AllowedFrom.ResolveSources(intent.LanSubnets))
            {
                string family = source.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4";
                string from = source.PrefixLength == 0 ? "" : $" source address=\"{source}\"";
                rules.Add($"rule family=\"{family}\"{from} port port=\"{service.Port}\" protocol=\"{protocol}\" accept");
            }
        }
        if (rules.Count == 0)
        {
            return null;
        }
        return new FirewalldPolicy
        {
            Name = options.HostPolicyName,
            Short = "Appliance host services",
            Description = "The box's own services Appliance manages (admin UI, SSH) from the sources allowed to reach them. Managed by Appliance.",
            Target = "CONTINUE",
            Priority = -1,
            IngressZones = ["ANY"],
            EgressZones = ["HOST"],
            RichRules = rules.Distinct(StringComparer.Ordinal).ToArray(),
        };
    }

    /// <summary>A rich rule in the exact form firewalld prints it back (so comparisons see no change).</summary>
    internal static string Rule(int priority, IPNetwork familyOf, IPNetwork? source, IPNetwork? destination, string action)
    {
        string family = familyOf.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4";
        string text = $"rule priority=\"{priority}\" family=\"{family}\"";
        if (source is { } s)
        {
            text += $" source address=\"{s}\"";
        }
        if (destination is { } d)
        {
            text += $" destination address=\"{d}\"";
        }
        return text + " " + action;
    }
}
