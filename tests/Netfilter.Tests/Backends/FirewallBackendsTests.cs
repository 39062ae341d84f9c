using Appliance.Netfilter.Backends;
using Appliance.Netfilter.Errors;
using Appliance.Netfilter.Nftables;

namespace Appliance.Netfilter.Tests.Backends;

public sealed class FirewallBackendsTests
{
    [Fact]
    public void Create_UnknownName_ListsTheValidOnes()
    {
        FirewallBackendException error = Assert.Throws<FirewallBackendException>(() => FirewallBackends.Create("iptables"));

        Assert.Contains("'iptables'", error.Message);
        Assert.Contains("\"nftables\", \"firewalld\", \"none\"", error.Message);
    }

    [Fact]
    public async Task Create_KnownNames_GiveTheirBackends()
    {
        await using IFirewallBackend nft = FirewallBackends.Create("nftables");
        await using IFirewallBackend none = FirewallBackends.Create("none");

        Assert.IsType<NftablesBackend>(nft);
        Assert.Equal("none", none.Name);
    }
}
