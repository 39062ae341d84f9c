using Appliance.Netfilter.Backends;
using Appliance.Netfilter.Errors;
using Appliance.Netfilter.Nftables;

namespace Appliance.Netfilter.Tests.Backends;

public sealed class FirewallBackendsTests
{
    [Theory]
    [InlineData("nftables", "nftables")]
    [InlineData("firewalld", "firewalld")]
    [InlineData(" None ", "none")]
    public async Task SelectAsync_ExplicitName_ReturnsItWithoutAskingTheBus(string name, string expected)
    {
        Assert.Equal(expected, await FirewallBackends.SelectAsync(name, "unix:path=/run/tbnosuch/bus"));
    }

    [Fact]
    public async Task SelectAsync_UnknownName_ListsTheValidOnes()
    {
        var e = await Assert.ThrowsAsync<FirewallBackendException>(() => FirewallBackends.SelectAsync("iptables"));

        Assert.Contains("unknown firewall backend 'iptables'", e.Message);
        Assert.Contains("\"auto\", \"nftables\", \"firewalld\", \"none\"", e.Message);
    }

    [Fact]
    public async Task SelectAsync_AutoWithoutBus_ChoosesNftables()
    {
        Assert.Equal(FirewallBackends.Nftables, await FirewallBackends.SelectAsync("auto", "unix:path=/run/tbnosuch/bus"));
    }

    [Fact]
    public async Task Create_Nftables_GivesTheNftablesBackend()
    {
        await using IFirewallBackend backend = FirewallBackends.Create("nftables");

        Assert.IsType<NftablesBackend>(backend);
        Assert.Equal("nftables", backend.Name);
    }

    [Fact]
    public void Create_None_WritesNothing()
    {
        Assert.IsType<NoFirewallBackend>(FirewallBackends.Create("none"));
    }

    [Fact]
    public void Create_Unknown_ListsTheValidOnes()
    {
        var e = Assert.Throws<FirewallBackendException>(() => FirewallBackends.Create("ufw"));

        Assert.Contains("valid backends are", e.Message);
    }
}
