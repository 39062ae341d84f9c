using System.Net;
using Appliance.Netfilter.Firewalld;
using Appliance.Netfilter.Intent;

namespace Appliance.Netfilter.Tests.Firewalld;

public sealed class FirewalldExplainerTests
{
    private static readonly IPAddress[] Host = [IPAddress.Parse("192.168.50.1"), IPAddress.Parse("203.0.113.1")];

    private static FirewalldVerdict Explain(string from, string to, int port) =>
        FirewalldExplainer.Explain(FirewalldPlanTests.TwoStacks, new FirewalldOptions(), Host, "public",
            IPAddress.Parse(from), IPAddress.Parse(to), port, TransportProtocol.Tcp);

    [Fact]
    public void Explain_WithinStack_NamesPolicyAndRule()
    {
        FirewalldVerdict verdict = Explain("10.88.1.2", "10.88.1.3", 5432);

        Assert.True(verdict.Accepted);
        Assert.Equal("policy appliance-stacks", verdict.DecidedBy);
        Assert.Contains("priority=\"-30\"", verdict.Rule);
    }

    [Fact]
    public void Explain_AcrossStacks_RejectedByIsolationRule()
    {
        FirewalldVerdict verdict = Explain("10.88.2.2", "10.88.1.3", 5432);

        Assert.False(verdict.Accepted);
        Assert.Equal("policy appliance-stacks", verdict.DecidedBy);
        Assert.Contains("destination address=\"10.88.1.0/24\" reject", verdict.Rule);
        Assert.StartsWith("none by design", verdict.Fix);
    }

    [Fact]
    public void Explain_EgressOfStackWithout_RejectedByZone()
    {
        FirewalldVerdict verdict = Explain("10.88.2.2", "203.0.113.10", 443);

        Assert.False(verdict.Accepted);
        Assert.Equal("zone appliance", verdict.DecidedBy);
        Assert.Contains("no egress", verdict.Explanation);
    }

    [Fact]
    public void Explain_PublishedPortFromLan_AcceptedAsPortForward()
    {
        FirewalldVerdict lan = Explain("192.168.50.10", "192.168.50.1", 8080);
        FirewalldVerdict wan = Explain("203.0.113.10", "203.0.113.1", 8080);

        Assert.True(lan.Accepted);
        Assert.Equal("ct status dnat accept", lan.Rule);
        Assert.False(wan.Accepted);
        Assert.Equal("zone public", wan.DecidedBy);
        Assert.Contains("published only to lan", wan.Explanation);
        Assert.Null(lan.Fix);
        Assert.StartsWith("if 203.0.113.10 should reach it, widen the exposure of port 8080/tcp of stack", wan.Fix);
        Assert.Contains("Fix: if 203.0.113.10 should reach it", string.Join("\n", wan.ToFlowExplanation(
            new Appliance.Netfilter.Inspection.FlowQuery(IPAddress.Parse("203.0.113.10"), IPAddress.Parse("203.0.113.1"), 8080, TransportProtocol.Tcp)).Notes));
    }

    [Fact]
    public void Explain_HostServiceAndDirectContainerAccess()
    {
        FirewalldVerdict admin = Explain("192.168.50.10", "192.168.50.1", 8443);
        FirewalldVerdict direct = Explain("192.168.50.10", "10.88.1.3", 5432);

        Assert.True(admin.Accepted);
        Assert.Equal("policy appliance-host", admin.DecidedBy);
        Assert.Contains("8443", admin.Rule);
        Assert.False(direct.Accepted);
        Assert.Equal("zone public", direct.DecidedBy);
    }
}
