using Appliance.Netfilter.Backends;

namespace Appliance.Netfilter.Tests.Backends;

public sealed class FirewallBackendsTests
{
    [Theory]
    [InlineData("nftables", FirewallBackendKind.Nftables)]
    [InlineData("firewalld", FirewallBackendKind.Firewalld)]
    [InlineData("None", FirewallBackendKind.None)]
    public void Parse_KnownName_ReturnsIt(string name, FirewallBackendKind kind)
    {
        Assert.Equal(kind, FirewallBackends.Parse(name));
    }

    [Fact]
    public void Parse_Auto_LeavesTheChoiceOpen()
    {
        Assert.Null(FirewallBackends.Parse("auto"));
    }

    [Fact]
    public void Parse_UnknownName_ListsTheValidOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => FirewallBackends.Parse("iptables"));

        Assert.Contains("'iptables' is not a firewall backend", e.Message);
        Assert.Contains("auto, nftables, firewalld, none", e.Message);
    }

    [Fact]
    public async Task SelectAsync_AutoWithoutBus_ChoosesNftables()
    {
        Assert.Equal(FirewallBackendKind.Nftables, await FirewallBackends.SelectAsync("auto", "unix:path=/run/tbnosuch/bus"));
    }
}
