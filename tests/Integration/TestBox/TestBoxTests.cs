using Appliance.TestSupport;

namespace Appliance.Integration.Tests.TestBoxes;

public sealed class TestBoxTests
{
    [Fact]
    public async Task Packet_FromLaptop_ReachesListenerInNas()
    {
        await using TestBox box = await TestBox.CreateAsync(withWan: true);
        await box.ListenTcpAsync(box.Nas, "0.0.0.0", 8080, "hello from nas");

        string? lan = await TestBox.TryConnectTcpAsync(box.Laptop, TestBox.NasLanAddress, 8080, TimeSpan.FromSeconds(5));
        string? wan = await TestBox.TryConnectTcpAsync(box.WanClient!, TestBox.NasWanAddress, 8080, TimeSpan.FromSeconds(5));
        string? closed = await TestBox.TryConnectTcpAsync(box.Laptop, TestBox.NasLanAddress, 8081, TimeSpan.FromSeconds(5));

        Assert.Equal("hello from nas\n", lan);
        Assert.Equal("hello from nas\n", wan);
        Assert.Null(closed);
    }

    [Fact]
    public async Task Laptop_CannotSee_MachinesOwnNamespace()
    {
        await using TestBox box = await TestBox.CreateAsync();

        CommandResult links = await box.ExecAsync(box.Laptop, "ip", "-o", "link", "show");

        Assert.True(links.Succeeded, links.Stderr);
        Assert.Contains("eth0", links.Stdout);
        Assert.DoesNotContain("lan0", links.Stdout);
    }

    [Fact]
    public async Task Teardown_RemovesEverything_ItMade()
    {
        string prefix;
        await using (TestBox box = await TestBox.CreateAsync(withWan: true))
        {
            prefix = box.Prefix;
            box.Start(box.Nas, ["sleep", "600"]);
            Assert.NotEmpty(await LeakGuard.ScanAsync(TestPrefix.Exactly(prefix)));
        }

        Assert.Empty(await LeakGuard.ScanAsync(TestPrefix.Exactly(prefix)));
    }

    [Fact]
    public async Task LeakGuard_Catches_ALeakedNamespace()
    {
        string prefix = TestPrefix.New();
        string ns = prefix + "-leak";
        await Command.CheckAsync("ip", "netns", "add", ns);
        try
        {
            IReadOnlyList<string> leaks = await LeakGuard.ScanAsync(TestPrefix.Exactly(prefix));

            Assert.Contains($"network namespace {ns}", leaks);
        }
        finally
        {
            await Command.RunAsync("ip", "netns", "del", ns);
        }
        Assert.Empty(await LeakGuard.ScanAsync(TestPrefix.Exactly(prefix)));
    }
}
