using System.Net;
using Appliance.Netfilter.Inspection;
using Appliance.Netfilter.Intent;

namespace Appliance.Netfilter.Firewalld;

/// <summary>
/// Says which firewalld zone or policy decides a flow when firewalld is the backend, from the
/// intent and the plan Appliance keeps in firewalld (a pure function; the live state is checked
/// by <see cref="FirewalldSync.VerifyAsync"/>). Flows Appliance does not govern (to host ports
/// no service or published port names) are left to the zone of the ingress interface.
/// </summary>
public static class FirewalldExplainer
{
    /// <summary>The same for a flow of <c>appliance fw explain</c>.</summary>
    public static FirewalldVerdict Explain(FirewallIntent intent, FirewalldOptions options, IReadOnlyCollection<IPAddress> hostAddresses,
        string defaultZone, FlowQuery flow) =>
        Explain(intent, options, hostAddresses, defaultZone, flow.From, flow.To, flow.Port, flow.Protocol);

    /// <param name="hostAddresses">The box's own addresses, bridge addresses included (a flow to one of them is input, not forward).</param>
    /// <param name="defaultZone">firewalld's default zone: the zone of every interface not bound to another.</param>
    public static FirewalldVerdict Explain(FirewallIntent intent, FirewalldOptions options, IReadOnlyCollection<IPAddress> hostAddresses,
        string defaultZone, IPAddress from, IPAddress to, int port, TransportProtocol protocol)
    {
        FirewalldPlan plan = FirewalldPlan.From(intent, options);
        StackNetwork? sourceStack = intent.Stacks.FirstOrDefault(s => s.Subnet.Contains(from));
        StackNetwork? targetStack = intent.Stacks.FirstOrDefault(s => s.Subnet.Contains(to));
        string ingressZone = sourceStack is null ? defaultZone : options.ZoneName;
        string flow = $"{from} -> {to}:{port}/{protocol.ToString().ToLowerInvariant()}";

        bool toHost = hostAddresses.Contains(to) || IPAddress.IsLoopback(to);
        if (toHost)
        {
            PublishedPort? published = intent.Stacks.SelectMany(s => s.PublishedPorts).FirstOrDefault(p =>
                p.HostPort == port && p.Protocol == protocol && (p.HostAddress is null || p.HostAddress.Equals(to)));
            if (published is not null && Allows(published.Exposure, intent, from))
            {
                return new FirewalldVerdict(true, "firewalld's rule for port-forwarded traffic", "ct status dnat accept",
                    $"{flow} is published port {published}: Appliance's table forwards it to {published.ContainerAddress}:{published.ContainerPort}, " +
                    "and firewalld accepts port-forwarded traffic before any zone or policy.");
            }
            HostService? service = intent.HostServices.FirstOrDefault(s => s.Port == port && s.Protocol == protocol);
            if (service is not null && Allows(service.AllowedFrom, intent, from) && plan.HostPolicy is { } hostPolicy)
            {
                string? rule = hostPolicy.RichRules.FirstOrDefault(r => r.Contains($"port=\"{port}\"", StringComparison.Ordinal) &&
                    (service.AllowedFrom.Kind == ExposureKind.Internet || service.AllowedFrom.ResolveSources(intent.LanSubnets).Any(n => n.Contains(from) && r.Contains($"\"{n}\"", StringComparison.Ordinal))));
                return new FirewalldVerdict(true, $"policy {hostPolicy.Name}", rule,
                    $"{flow} reaches the box's service '{service.Name}', open to {service.AllowedFrom}.");
            }
            string why = published is not null ? $"port {port} is published only to {published.Exposure}"
                : service is not null ? $"the service '{service.Name}' is open only to {service.AllowedFrom}"
                : $"nothing Appliance manages listens on port {port}";
            string fix = published is not null
                ? $"if {from} should reach it, widen the exposure of port {port}/{Proto(protocol)} of stack '{StackOf(intent, published)}' " +
                  $"(its stack page: {(InLan(intent, from) ? "LAN" : "internet, or add its network to the LAN subnets in Settings")}); Appliance updates firewalld itself."
                : service is not null
                ? $"if {from} should reach '{service.Name}', add its network in Settings (LAN subnets{(service.Name == HostService.AdminUiName ? ", or who may reach the admin UI" : "")}); Appliance updates firewalld itself."
                : $"to open port {port}/{Proto(protocol)} of a service of the box's own: firewall-cmd --permanent --zone={ingressZone} --add-port={port}/{Proto(protocol)} " +
                  "&& firewall-cmd --reload; for a container, publish the port in its stack file.";
            return new FirewalldVerdict(false, $"zone {ingressZone}", null,
                $"{flow} is for the box itself and {why}; zone '{ingressZone}' rejects what its services and ports do not open.") { Fix = fix };
        }

        if (sourceStack is not null && plan.Policy is { } policy)
        {
            if (targetStack == sourceStack)
            {
                return new FirewalldVerdict(true, $"policy {policy.Name}", Rule(policy, FirewalldPlan.IntraStackPriority, sourceStack),
                    $"containers of stack '{sourceStack.Name}' reach each other.");
            }
            if (targetStack is not null)
            {
                return new FirewalldVerdict(false, $"policy {policy.Name}", Rule(policy, FirewalldPlan.IsolationPriority, targetStack),
                    $"stack '{sourceStack.Name}' may not reach stack '{targetStack.Name}': stacks are isolated from each other.")
                {
                    Fix = $"none by design: stacks stay apart; put services that must talk into one stack, or reach a published port of '{targetStack.Name}'.",
                };
            }
            if (sourceStack.EgressAllowed)
            {
                return new FirewalldVerdict(true, $"policy {policy.Name}", Rule(policy, FirewalldPlan.EgressPriority, sourceStack),
                    $"stack '{sourceStack.Name}' may reach beyond the box.");
            }
            return new FirewalldVerdict(false, $"zone {options.ZoneName}", null,
                $"stack '{sourceStack.Name}' has no egress: no rule of policy '{policy.Name}' accepts it, and zone '{options.ZoneName}' rejects the rest.")
            {
                Fix = $"Appliance gives the stacks it deploys egress: deploy '{sourceStack.Name}' again and policy '{policy.Name}' gets its egress rule.",
            };
        }

        if (targetStack is not null)
        {
            return new FirewalldVerdict(false, $"zone {ingressZone}", null,
                $"{flow} goes straight to a container of stack '{targetStack.Name}'; only its published ports (through the box's " +
                $"addresses) are reachable from outside, and zone '{ingressZone}' rejects forwarding it.")
            {
                Fix = $"connect to a published port on the box's address instead; to add one, publish the port in the stack file of '{targetStack.Name}'.",
            };
        }
        return new FirewalldVerdict(false, $"zone {ingressZone}", null,
            $"{flow} is neither for the box nor for a stack of Appliance's; firewalld's zone '{ingressZone}' decides (it rejects forwarding by default).")
        {
            Fix = $"not Appliance's traffic: if the box should route it, allow it in firewalld (a policy from zone '{ingressZone}', firewall-cmd --new-policy).",
        };
    }

    private static bool InLan(FirewallIntent intent, IPAddress from) => intent.LanSubnets.Any(n => n.Contains(from));

    private static string StackOf(FirewallIntent intent, PublishedPort port) => intent.Stacks.First(s => s.PublishedPorts.Contains(port)).Name;

    private static string Proto(TransportProtocol protocol) => protocol.ToString().ToLowerInvariant();

    private static bool Allows(Exposure exposure, FirewallIntent intent, IPAddress from) =>
        exposure.Kind == ExposureKind.Internet || exposure.ResolveSources(intent.LanSubnets).Any(n => n.Contains(from));

    private static string? Rule(FirewalldPolicy policy, int priority, StackNetwork stack) =>
        policy.RichRules.FirstOrDefault(r => r.StartsWith($"rule priority=\"{priority}\"", StringComparison.Ordinal) &&
                                             r.Contains($"\"{stack.Subnet}\"", StringComparison.Ordinal));
}
