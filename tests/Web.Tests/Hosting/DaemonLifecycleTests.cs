using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.State;
using Appliance.Web.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Web.Tests.Hosting;

public sealed class DaemonLifecycleTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"tbw{Guid.NewGuid().ToString("N")[..6]}-state")).FullName;
    private SqliteStateStore _store = null!;

    public async Task InitializeAsync() => _store = await SqliteStateStore.OpenAsync(_dir);

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task FirstPass_WaitsUntilTheDaemonServes_SoItDoesNotTakeACoreFromStartUp()
    {
        var lifetime = new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance);
        ServiceProvider services = new ServiceCollection().AddSingleton<IHostApplicationLifetime>(lifetime).BuildServiceProvider();
        var events = new EventLog(_store);
        using var lifecycle = new DaemonLifecycle(new DaemonOptions { StateDir = _dir }, events, services, NullLogger<DaemonLifecycle>.Instance);

        await lifecycle.StartAsync(CancellationToken.None);
        // With no engine registered, the loop records "daemon started" and ends: within milliseconds, unless it waits.
        Task ended = lifecycle.ExecuteTask!;
        Assert.NotSame(ended, await Task.WhenAny(ended, Task.Delay(TimeSpan.FromSeconds(1))));
        Assert.Empty(await events.RecentAsync());

        lifetime.NotifyStarted();
        await ended.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains(await events.RecentAsync(), e => e.Message == "daemon started");
        await lifecycle.StopAsync(CancellationToken.None);
    }
}
