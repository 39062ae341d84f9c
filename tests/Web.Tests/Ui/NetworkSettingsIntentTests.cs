using System.Net;
using Appliance.Netfilter.Intent;
using Appliance.Web.Hosting;
using Appliance.Web.Ui.Backend;
using Exposure = Appliance.Netfilter.Intent.Exposure;

namespace Appliance.Web.Tests.Ui;

/// <summary>The settings page's network settings become the owner's part of the firewall intent.</summary>
public sealed class NetworkSettingsIntentTests
{
    private static FirewallIntent Defaults() => FirewallServices.Settings(new DaemonOptions { Port = 8080 });

    [Fact]
    public void WithNetworkSettings_LanAndAdminSources_ReplaceLanAndNarrowOnlyTheAdminUi()
    {
        FirewallIntent intent = FirewallServices.WithNetworkSettings(Defaults(),
            new NetworkSettings(["192.168.50.0/24"], ["192.168.50.10"], "nftables"));

        Assert.Equal([IPNetwork.Parse("192.168.50.0/24")], intent.LanSubnets);
        HostService admin = Assert.Single(intent.HostServices, s => s.Name == HostService.AdminUiName);
        Assert.Equal(Exposure.FromSources(IPNetwork.Parse("192.168.50.10/32")), admin.AllowedFrom);
        Assert.Equal(Exposure.Lan, Assert.Single(intent.HostServices, s => s.Name == HostService.SshName).AllowedFrom);
    }

    [Fact]
    public void WithNetworkSettings_NoAdminSources_MeansTheLan()
    {
        FirewallIntent intent = FirewallServices.WithNetworkSettings(Defaults(), new NetworkSettings(["10.1.0.0/16"], [], "nftables"));

        Assert.Equal(Exposure.Lan, Assert.Single(intent.HostServices, s => s.Name == HostService.AdminUiName).AllowedFrom);
        Assert.Same(Defaults().HostServices[0].AllowedFrom, intent.HostServices[0].AllowedFrom);
    }
}
