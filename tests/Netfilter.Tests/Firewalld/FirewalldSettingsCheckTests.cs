using Appliance.Netfilter.Firewalld;

namespace Appliance.Netfilter.Tests.Firewalld;

public sealed class FirewalldSettingsCheckTests
{
    [Fact]
    public void CheckDaemonSettings_StrictForwardPortsYes_RefusesWithTheFix()
    {
        var e = Assert.Throws<FirewalldConfigurationException>(() => FirewalldSync.CheckDaemonSettings(
            new Dictionary<string, string> { ["FirewallBackend"] = "nftables", ["StrictForwardPorts"] = "yes" }));

        Assert.Equal("StrictForwardPorts", e.Setting);
        Assert.Contains("StrictForwardPorts=no", e.Message);
        Assert.Contains("/etc/firewalld/firewalld.conf", e.Message);
    }

    [Fact]
    public void CheckDaemonSettings_IptablesBackend_Refuses()
    {
        var e = Assert.Throws<FirewalldConfigurationException>(() => FirewalldSync.CheckDaemonSettings(
            new Dictionary<string, string> { ["FirewallBackend"] = "iptables" }));

        Assert.Equal("FirewallBackend", e.Setting);
    }

    [Theory]
    [InlineData("no")]
    [InlineData(null)] // firewalld 1.x has no such key
    public void CheckDaemonSettings_NotStrict_Accepts(string? strict)
    {
        var settings = new Dictionary<string, string> { ["FirewallBackend"] = "nftables" };
        if (strict is not null)
        {
            settings["StrictForwardPorts"] = strict;
        }

        FirewalldSync.CheckDaemonSettings(settings);
    }

    [Theory]
    [InlineData("INVALID_ZONE: appliance", "INVALID_ZONE", "appliance")]
    [InlineData("NOT_RUNNING", "NOT_RUNNING", "")]
    [InlineData("INVALID_RULE: bad: rule", "INVALID_RULE", "bad: rule")]
    public void SplitError_SeparatesCodeAndDetail(string message, string code, string detail)
    {
        Assert.Equal((code, detail), FirewalldClient.SplitError(message));
    }
}
