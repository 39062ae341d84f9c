using Appliance.TestSupport;
using Appliance.TestSupport.Firewalld;

namespace Appliance.Integration.Tests.Firewalld;

public sealed class FirewalldHarnessTests
{
    [Fact]
    public async Task Firewalld_InBox_OwnsATableInNasOnly()
    {
        await using TestBox box = await TestBox.CreateAsync();
        FirewalldInBox firewalld = await FirewalldInBox.StartAsync(box);

        CommandResult nasTables = await box.ExecAsync(box.Nas, "nft", "list", "tables");
        CommandResult ownTables = await Command.RunAsync("nft", "list", "tables");
        string zone = await firewalld.FirewallCmdAsync("--get-default-zone");

        Assert.Contains("table inet firewalld", nasTables.Stdout);
        Assert.DoesNotContain("firewalld", ownTables.Stdout);
        Assert.Equal("public", zone);
        Assert.False(Directory.Exists("/run/firewalld"), "firewalld must not create /run/firewalld on the machine");
    }

    [Fact]
    public async Task Firewalld_Restarted_KeepsPermanentConfig()
    {
        await using TestBox box = await TestBox.CreateAsync();
        FirewalldInBox firewalld = await FirewalldInBox.StartAsync(box);
        await firewalld.FirewallCmdAsync("--permanent", "--new-zone", "tbzone");

        await firewalld.RestartAsync();

        Assert.Contains("tbzone", (await firewalld.FirewallCmdAsync("--get-zones")).Split(' '));
        Assert.True(File.Exists(Path.Combine(firewalld.ConfigDirectory, "zones", "tbzone.xml")));
        Assert.False(File.Exists("/etc/firewalld/zones/tbzone.xml"));
    }

    [Fact]
    public async Task Teardown_LeavesNothing_OfFirewalldOrItsBus()
    {
        string prefix;
        await using (TestBox box = await TestBox.CreateAsync())
        {
            prefix = box.Prefix;
            FirewalldInBox firewalld = await FirewalldInBox.StartAsync(box);
            await firewalld.FirewallCmdAsync("--permanent", "--new-zone", "tbzone");
        }

        Assert.Empty(await LeakGuard.ScanAsync(TestPrefix.Exactly(prefix)));
        Assert.False(File.Exists("/etc/firewalld/zones/tbzone.xml"));
    }

    [Fact]
    public async Task Firewalld_InBox_RejectsUnlistedPortFromLan()
    {
        await using TestBox box = await TestBox.CreateAsync();
        await box.ListenTcpAsync(box.Nas, "0.0.0.0", 8080, "nas");
        Assert.NotNull(await TestBox.TryConnectTcpAsync(box.Laptop, TestBox.NasLanAddress, 8080, TimeSpan.FromSeconds(5)));

        await FirewalldInBox.StartAsync(box);

        Assert.Null(await TestBox.TryConnectTcpAsync(box.Laptop, TestBox.NasLanAddress, 8080, TimeSpan.FromSeconds(2)));
    }
}
