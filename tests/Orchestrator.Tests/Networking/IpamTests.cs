using System.Net;
using Appliance.Orchestrator.Networking;

namespace Appliance.Orchestrator.Tests.Networking;

public sealed class IpamTests
{
    private static readonly Ipam Default = new();

    [Fact]
    public void AllocateSubnet_EmptyHost_TakesFirstSlash24OfPool()
    {
        IpamState state = Default.AllocateSubnet(IpamState.Empty, "gitlab", []);

        StackSubnet gitlab = state.Find("gitlab")!;
        Assert.Equal(IPNetwork.Parse("10.88.0.0/24"), gitlab.Subnet);
        Assert.Equal(IPAddress.Parse("10.88.0.1"), gitlab.Gateway);
    }

    [Fact]
    public void AllocateSubnet_TwoStacks_GetDifferentSubnets()
    {
        IpamState state = Default.AllocateSubnet(IpamState.Empty, "gitlab", []);
        state = Default.AllocateSubnet(state, "nextcloud", []);

        Assert.Equal(IPNetwork.Parse("10.88.0.0/24"), state.Find("gitlab")!.Subnet);
        Assert.Equal(IPNetwork.Parse("10.88.1.0/24"), state.Find("nextcloud")!.Subnet);
    }

    [Fact]
    public void AllocateSubnet_SkipsSubnets_OverlappingHostRoutesAndAddresses()
    {
        IPNetwork[] host =
        [
            IPNetwork.Parse("0.0.0.0/0"),        // default route: ignored
            IPNetwork.Parse("10.88.0.0/23"),     // a VPN route covering .0 and .1
            IPNetwork.Parse("10.88.2.17/32"),    // a host route
            IPNetwork.Parse("10.88.3.128/25"),   // part of .3
        ];

        IpamState state = Default.AllocateSubnet(IpamState.Empty, "gitlab", host);

        Assert.Equal(IPNetwork.Parse("10.88.4.0/24"), state.Find("gitlab")!.Subnet);
    }

    [Fact]
    public void AllocateSubnet_HostRouteCoveringWholePool_Throws_NamingPoolAndFix()
    {
        var e = Assert.Throws<IpamException>(() => Default.AllocateSubnet(IpamState.Empty, "gitlab", [IPNetwork.Parse("10.0.0.0/8")]));

        Assert.Contains("10.88.0.0/16", e.Message);
        Assert.Contains("'gitlab'", e.Message);
        Assert.Contains("larger pool", e.Message);
    }

    [Fact]
    public void AllocateSubnet_ExistingStack_KeepsItsSubnet_EvenIfNowRouted()
    {
        IpamState state = Default.AllocateSubnet(IpamState.Empty, "gitlab", []);

        // The stack's own bridge route is on the host now: the allocation must not move.
        IpamState again = Default.AllocateSubnet(state, "gitlab", [IPNetwork.Parse("10.88.0.0/24")]);

        Assert.Same(state, again);
    }

    [Fact]
    public void AllocateAddress_StartsAtDot2_AndKeepsExisting()
    {
        IpamState state = Default.AllocateSubnet(IpamState.Empty, "gitlab", []);
        state = Default.AllocateAddress(state, "gitlab", "postgresql");
        state = Default.AllocateAddress(state, "gitlab", "redis");
        IpamState again = Default.AllocateAddress(state, "gitlab", "postgresql");

        Assert.Same(state, again);
        Assert.Equal(IPAddress.Parse("10.88.0.2"), state.Find("gitlab")!.Addresses["postgresql"]);
        Assert.Equal(IPAddress.Parse("10.88.0.3"), state.Find("gitlab")!.Addresses["redis"]);
    }

    [Fact]
    public void AllocateAddress_ReusesReleasedAddress()
    {
        IpamState state = Default.AllocateSubnet(IpamState.Empty, "s", []);
        state = Default.AllocateAddress(state, "s", "a");
        state = Default.AllocateAddress(state, "s", "b");
        state = Default.ReleaseAddress(state, "s", "a");
        state = Default.AllocateAddress(state, "s", "c");

        Assert.Equal(IPAddress.Parse("10.88.0.2"), state.Find("s")!.Addresses["c"]);
    }

    [Fact]
    public void AllocateAddress_FullSubnet_Throws()
    {
        var ipam = new Ipam(new IpamOptions { Pool = IPNetwork.Parse("10.9.0.0/16"), SubnetPrefixLength = 30 });
        IpamState state = ipam.AllocateSubnet(IpamState.Empty, "s", []);
        state = ipam.AllocateAddress(state, "s", "a"); // .2; .1 gateway, .3 broadcast

        var e = Assert.Throws<IpamException>(() => ipam.AllocateAddress(state, "s", "b"));

        Assert.Contains("10.9.0.0/30", e.Message);
        Assert.Contains("'b'", e.Message);
    }

    [Fact]
    public void AllocateAddress_WithoutSubnet_Throws()
    {
        Assert.Throws<IpamException>(() => Default.AllocateAddress(IpamState.Empty, "nope", "a"));
    }

    [Fact]
    public void ReleaseSubnet_FreesItForTheNextStack()
    {
        IpamState state = Default.AllocateSubnet(IpamState.Empty, "a", []);
        state = Default.ReleaseSubnet(state, "a");
        state = Default.AllocateSubnet(state, "b", []);

        Assert.Null(state.Find("a"));
        Assert.Equal(IPNetwork.Parse("10.88.0.0/24"), state.Find("b")!.Subnet);
    }

    [Fact]
    public void Options_ConfigurablePool_IsUsed()
    {
        var ipam = new Ipam(new IpamOptions { Pool = IPNetwork.Parse("172.30.0.0/20"), SubnetPrefixLength = 26 });

        IpamState state = ipam.AllocateSubnet(IpamState.Empty, "a", [IPNetwork.Parse("172.30.0.0/26")]);

        Assert.Equal(IPNetwork.Parse("172.30.0.64/26"), state.Find("a")!.Subnet);
    }

    [Theory]
    [InlineData("10.88.0.0/16", 8)]
    [InlineData("10.88.0.0/16", 31)]
    [InlineData("fd00::/64", 80)]
    public void Options_Invalid_Rejected(string pool, int prefix)
    {
        Assert.Throws<IpamException>(() => new Ipam(new IpamOptions { Pool = IPNetwork.Parse(pool), SubnetPrefixLength = prefix }));
    }

    [Fact]
    public void State_LoadedFromPersistedRows_IsHonoured()
    {
        var gitlab = new StackSubnet("gitlab", IPNetwork.Parse("10.88.0.0/24"))
            with { Addresses = System.Collections.Immutable.ImmutableSortedDictionary<string, IPAddress>.Empty.Add("postgresql", IPAddress.Parse("10.88.0.2")) };
        IpamState loaded = IpamState.Empty.With(gitlab);

        IpamState state = Default.AllocateSubnet(loaded, "nextcloud", []);
        state = Default.AllocateAddress(state, "gitlab", "redis");

        Assert.Equal(IPNetwork.Parse("10.88.1.0/24"), state.Find("nextcloud")!.Subnet);
        Assert.Equal(IPAddress.Parse("10.88.0.3"), state.Find("gitlab")!.Addresses["redis"]);
    }
}
