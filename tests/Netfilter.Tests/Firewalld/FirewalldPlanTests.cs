using System.Net;
using Appliance.Netfilter.Firewalld;
using Appliance.Netfilter.Intent;

namespace Appliance.Netfilter.Tests.Firewalld;

public sealed class FirewalldPlanTests
{
    internal static readonly FirewallIntent TwoStacks = new()
    {
        LanSubnets = [IPNetwork.Parse("192.168.50.0/24")],
        HostServices = [new HostService { Name = HostService.AdminUiName, Port = 8443, AllowedFrom = Exposure.Lan }],
        Stacks =
        [
            new StackNetwork
            {
                Name = "gitlab", Bridge = "ap-gitlab", Subnet = IPNetwork.Parse("10.88.1.0/24"),
                PublishedPorts = [new PublishedPort { HostPort = 8080, ContainerAddress = IPAddress.Parse("10.88.1.2"), ContainerPort = 80 }],
            },
            new StackNetwork { Name = "wiki", Bridge = "ap-wiki", Subnet = IPNetwork.Parse("10.88.2.0/24"), EgressAllowed = false },
        ],
    };

    [Fact]
    public void From_NoStacksNoServices_LeavesNothing()
    {
        FirewalldPlan plan = FirewalldPlan.From(FirewallIntent.Empty, new FirewalldOptions());

        Assert.Equal(new FirewalldPlan(null, null, null), plan);
    }

    [Fact]
    public void From_Stacks_BindsBridgesToOwnZoneWithDefaultTarget()
    {
        FirewalldZone zone = FirewalldPlan.From(TwoStacks, new FirewalldOptions()).Zone!;

        Assert.Equal("appliance", zone.Name);
        Assert.Equal("default", zone.Target);
        Assert.False(zone.Forward); // intra-zone forwarding would join the stacks; the policy does it per stack
        Assert.Equal(["ap-gitlab", "ap-wiki"], zone.Interfaces);
    }

    [Fact]
    public void From_Stacks_PolicyAcceptsWithinStackRejectsAcrossEgressOnlyWhereAllowed()
    {
        FirewalldPolicy policy = FirewalldPlan.From(TwoStacks, new FirewalldOptions()).Policy!;

        Assert.Equal(["appliance"], policy.IngressZones);
        Assert.Equal(["ANY"], policy.EgressZones);
        Assert.Equal("CONTINUE", policy.Target);
        Assert.Equal(
        [
            "rule priority=\"-30\" family=\"ipv4\" source address=\"10.88.1.0/24\" destination address=\"10.88.1.0/24\" accept",
            "rule priority=\"-30\" family=\"ipv4\" source address=\"10.88.2.0/24\" destination address=\"10.88.2.0/24\" accept",
            "rule priority=\"-20\" family=\"ipv4\" destination address=\"10.88.1.0/24\" reject",
            "rule priority=\"-20\" family=\"ipv4\" destination address=\"10.88.2.0/24\" reject",
            "rule priority=\"-10\" family=\"ipv4\" source address=\"10.88.1.0/24\" accept",
        ], policy.RichRules);
    }

    [Fact]
    public void From_HostService_OpensItFromItsSourcesOnly()
    {
        FirewalldPolicy host = FirewalldPlan.From(TwoStacks, new FirewalldOptions()).HostPolicy!;
        FirewalldPolicy? internet = FirewalldPlan.From(TwoStacks with
        {
            HostServices = [new HostService { Name = "ssh", Port = 22, AllowedFrom = Exposure.Internet }],
        }, new FirewalldOptions()).HostPolicy;
        FirewalldPolicy? hostOnly = FirewalldPlan.From(TwoStacks with
        {
            HostServices = [new HostService { Name = "ssh", Port = 22, AllowedFrom = Exposure.HostOnly }],
        }, new FirewalldOptions()).HostPolicy;

        Assert.Equal(["ANY"], host.IngressZones);
        Assert.Equal(["HOST"], host.EgressZones);
        Assert.Equal(["rule family=\"ipv4\" source address=\"192.168.50.0/24\" port port=\"8443\" protocol=\"tcp\" accept"], host.RichRules);
        Assert.Equal(["rule family=\"ipv4\" port port=\"22\" protocol=\"tcp\" accept"], internet!.RichRules);
        Assert.Null(hostOnly);
    }

    [Fact]
    public void From_CustomNames_AreUsedEverywhere()
    {
        var options = new FirewalldOptions { ZoneName = "apz", PolicyName = "apz-out", HostPolicyName = "apz-in" };

        FirewalldPlan plan = FirewalldPlan.From(TwoStacks, options);

        Assert.Equal("apz", plan.Zone!.Name);
        Assert.Equal("apz-out", plan.Policy!.Name);
        Assert.Equal(["apz"], plan.Policy.IngressZones);
        Assert.Equal("apz-in", plan.HostPolicy!.Name);
    }
}
