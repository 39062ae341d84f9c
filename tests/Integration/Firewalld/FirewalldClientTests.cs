using Appliance.Netfilter.Firewalld;
using Appliance.TestSupport;
using Appliance.TestSupport.Firewalld;

namespace Appliance.Integration.Tests.Firewalld;

public sealed class FirewalldClientTests
{
    [Fact]
    public async Task Client_ReadsRuntimeAndDaemonSettings()
    {
        await using TestBox box = await TestBox.CreateAsync();
        FirewalldInBox firewalld = await FirewalldInBox.StartAsync(box);
        await using FirewalldClient client = await FirewalldClient.ConnectAsync(firewalld.BusAddress);

        Assert.True(await client.IsRunningAsync());
        Assert.Equal("public", await client.GetDefaultZoneAsync());
        Assert.Contains("public", await client.GetZonesAsync());
        Assert.StartsWith("1.", await client.GetVersionAsync());
        IReadOnlyDictionary<string, string> settings = await client.GetDaemonSettingsAsync();
        Assert.Equal("nftables", settings["FirewallBackend"]);
        Assert.Null(await client.GetZoneOfInterfaceAsync("ap-nothing"));
    }

    [Fact]
    public async Task Client_PermanentZone_CreatedUpdatedAndRemoved()
    {
        await using TestBox box = await TestBox.CreateAsync();
        FirewalldInBox firewalld = await FirewalldInBox.StartAsync(box);
        await using FirewalldClient client = await FirewalldClient.ConnectAsync(firewalld.BusAddress);
        var zone = new FirewalldZone { Name = "tbzone", Interfaces = ["ap-one"], Forward = true, Short = "Test" };

        Assert.Null(await client.GetPermanentZoneAsync("tbzone"));
        await client.AddPermanentZoneAsync(zone);
        FirewalldZone? created = await client.GetPermanentZoneAsync("tbzone");
        await client.UpdatePermanentZoneAsync(zone with { Interfaces = ["ap-one", "ap-two"] });
        await client.ReloadAsync();
        FirewalldZone runtime = await client.GetZoneAsync("tbzone");
        bool removed = await client.RemovePermanentZoneAsync("tbzone");

        Assert.NotNull(created);
        Assert.True(created.SameAs(zone), $"{created} vs {zone}");
        Assert.Equal(["ap-one", "ap-two"], runtime.Interfaces.Order());
        Assert.Equal("tbzone", await client.GetZoneOfInterfaceAsync("ap-two"));
        Assert.True(removed);
        Assert.Null(await client.GetPermanentZoneAsync("tbzone"));
    }

    [Fact]
    public async Task Client_UnknownZone_FailsWithFirewalldsCode()
    {
        await using TestBox box = await TestBox.CreateAsync();
        FirewalldInBox firewalld = await FirewalldInBox.StartAsync(box);
        await using FirewalldClient client = await FirewalldClient.ConnectAsync(firewalld.BusAddress);

        var e = await Assert.ThrowsAsync<FirewalldCallException>(() => client.GetZoneAsync("tbnosuch"));

        Assert.Equal("INVALID_ZONE", e.Code);
        Assert.Contains("zone.getZoneSettings2('tbnosuch')", e.Message);
    }

    [Fact]
    public async Task Client_Watch_SeesReloadAndRestart()
    {
        await using TestBox box = await TestBox.CreateAsync();
        FirewalldInBox firewalld = await FirewalldInBox.StartAsync(box);
        await using FirewalldClient client = await FirewalldClient.ConnectAsync(firewalld.BusAddress);
        var events = new System.Collections.Concurrent.ConcurrentQueue<FirewalldEventKind>();
        await using IAsyncDisposable watch = await client.WatchAsync(events.Enqueue);

        await firewalld.FirewallCmdAsync("--reload");
        await Poll.UntilAsync(() => events.Contains(FirewalldEventKind.Reloaded), TimeSpan.FromSeconds(10), () => string.Join(",", events));
        await firewalld.RestartAsync();
        await Poll.UntilAsync(() => events.Contains(FirewalldEventKind.Started), TimeSpan.FromSeconds(10), () => string.Join(",", events));

        Assert.Contains(FirewalldEventKind.Stopped, events);
        Assert.True(await client.IsRunningAsync());
    }

    [Fact]
    public async Task Client_NoBus_FailsWithUnavailable()
    {
        var e = await Assert.ThrowsAsync<FirewalldUnavailableException>(() => FirewalldClient.ConnectAsync("unix:path=/run/tbnosuch/bus"));

        Assert.Contains("/run/tbnosuch/bus", e.Message);
    }
}
