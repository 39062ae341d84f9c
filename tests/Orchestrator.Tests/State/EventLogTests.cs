using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.State;
using Microsoft.Data.Sqlite;

namespace Appliance.Orchestrator.Tests.State;

public class EventLogTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    [Fact]
    public async Task Publish_IsStored_AndStreamedToWatchers()
    {
        await using SqliteStateStore store = await SqliteStateStore.OpenAsync(_dir.Path);
        FakeClock clock = FakeClock.At();
        var log = new EventLog(store, clock);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using IAsyncEnumerator<ApplianceEventRecord> watch = log.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        ValueTask<bool> next = watch.MoveNextAsync();

        ApplianceEventRecord published = await log.PublishAsync(EventKind.Autoheal, "gitlab", "gitlab", "restarted", "unhealthy for 3 checks");

        Assert.True(await next);
        Assert.Equal(published, watch.Current);
        IReadOnlyList<ApplianceEventRecord> recent = await log.RecentAsync("gitlab");
        ApplianceEventRecord stored = Assert.Single(recent);
        Assert.Equal(published, stored);
        Assert.Equal(clock.Now, stored.Time);
        Assert.Empty(await log.RecentAsync("other"));
    }

    [Fact]
    public async Task Recent_ReturnsNewestN_OldestFirst_AndAfterId()
    {
        await using SqliteStateStore store = await SqliteStateStore.OpenAsync(_dir.Path);
        var log = new EventLog(store);
        for (int i = 1; i <= 10; i++)
        {
            await log.PublishAsync(EventKind.Note, null, null, $"n{i}");
        }
        Assert.Equal(["n8", "n9", "n10"], (await log.RecentAsync(max: 3)).Select(e => e.Message));
        Assert.Equal(["n10"], (await log.RecentAsync(afterId: 9)).Select(e => e.Message));
    }
}
