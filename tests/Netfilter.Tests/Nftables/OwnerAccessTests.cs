using System.Net;
using Appliance.Netfilter.Intent;
using Appliance.Netfilter.Nftables;

namespace Appliance.Netfilter.Tests.Nftables;

public sealed class OwnerAccessTests
{
    private static FirewallIntent With(params HostService[] services) => NftCompilerTests.Sample() with { HostServices = services };

    private static HostService Admin(Exposure from, int port = 8443) => new() { Name = HostService.AdminUiName, Port = port, AllowedFrom = from };

    [Fact]
    public void Lost_RemovedAdminUi_IsReported() =>
        Assert.Equal("admin-ui removed", OwnerAccess.Lost(With(Admin(Exposure.Lan)), With()));

    [Fact]
    public void Lost_NarrowedSources_IsReported() =>
        Assert.Contains("no longer allowed from 192.168.50.0/24",
            OwnerAccess.Lost(With(Admin(Exposure.Lan)), With(Admin(Exposure.FromSources(IPNetwork.Parse("192.168.50.10/32"))))));

    [Fact]
    public void Lost_MovedPort_IsReported() =>
        Assert.Contains("moved", OwnerAccess.Lost(With(Admin(Exposure.Lan)), With(Admin(Exposure.Lan, 9443))));

    [Fact]
    public void Lost_WidenedOrUnchanged_IsNull()
    {
        Assert.Null(OwnerAccess.Lost(With(Admin(Exposure.Lan)), With(Admin(Exposure.Internet))));
        Assert.Null(OwnerAccess.Lost(With(Admin(Exposure.Lan)), With(Admin(Exposure.Lan))));
        Assert.Null(OwnerAccess.Lost(With(new HostService { Name = "samba", Port = 445, AllowedFrom = Exposure.Lan }), With()));
    }
}
