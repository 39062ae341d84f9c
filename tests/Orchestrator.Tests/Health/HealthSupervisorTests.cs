using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Health;
using Appliance.Orchestrator.Health.Schedules;
using Appliance.Orchestrator.Reconcile;
using Appliance.Orchestrator.State;
using Appliance.Orchestrator.Tests.Reconcile;
using Microsoft.Data.Sqlite;

namespace Appliance.Orchestrator.Tests.Health;

/// <summary>Health checks and autoheal over the in-memory engine, a scripted probe and a fake clock.</summary>
public class HealthSupervisorTests : IAsyncLifetime
{
    private static readonly HealthCheckSpec Check = new() { Interval = TimeSpan.FromSeconds(10), Retries = 3, StartPeriod = TimeSpan.Zero };
    private static readonly AutohealPolicy Autoheal = new()
    {
        Backoff = new ExponentialBackoff(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5)),
        BreakerFailures = 3,
        BreakerWindow = TimeSpan.FromHours(1),
    };

    private readonly TempDir _dir = new();
    private readonly FakeRuntime _runtime = new();
    private readonly FakeClock _clock = FakeClock.At();
    private readonly ScriptedProbe _probe = new();
    private SqliteStateStore _store = null!;
    private EventLog _events = null!;
    private HealthSupervisor _supervisor = null!;

    public async Task InitializeAsync()
    {
        _store = await SqliteStateStore.OpenAsync(_dir.Path);
        _events = new EventLog(_store, _clock);
        _runtime.Clock = () => _clock.Now;
        await _runtime.UpAsync(new StackDeployment("gitlab", 1, "postgresql\nredis\ngitlab", new Dictionary<string, string>()));
        _probe.Clock = () => _clock.Now;
        _supervisor = new HealthSupervisor(_runtime, _probe, new HealthMonitor(_store, _events, _clock));
        _supervisor.Track(new StackModel("gitlab", 1,
        [
            new ServiceModel("postgresql", RestartPolicy.Parse("always"), Check, [], Autoheal),
            new ServiceModel("redis", RestartPolicy.Parse("always"), null, [], Autoheal),
            new ServiceModel("gitlab", RestartPolicy.Parse("always"), Check, ["postgresql", "redis"], Autoheal),
        ], Array.Empty<ScheduleSpec>()));
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    /// <summary>One interval: every checked service is probed once, in dependency order.</summary>
    private async Task TickAsync()
    {
        _clock.Advance(Check.Interval);
        await _supervisor.CheckAsync("gitlab", "postgresql");
        await _supervisor.CheckAsync("gitlab", "gitlab");
    }

    private int Restarts(string service) => _runtime.Calls.Count(c => c == $"restart gitlab/{service}");

    private async Task<IReadOnlyList<ApplianceEventRecord>> EventsAsync() => await _events.RecentAsync("gitlab", 1000);

    [Fact]
    public async Task Check_InspectsOnlyTheServiceAndItsDependencies()
    {
        await TickAsync();
        // Containers are inspected at every check: postgresql's check looks at postgresql alone.
        Assert.Equal(["gitlab: postgresql", "gitlab: gitlab,postgresql,redis"], _runtime.ScopedInspections);
        Assert.Equal(HealthStatus.Healthy, _supervisor.Monitor.Get("gitlab", "postgresql")!.Health.Status);
    }

    [Fact]
    public async Task Unhealthy_IsRestarted_WithBackoff_AndRecovers()
    {
        for (int i = 0; i < 3; i++)
        {
            await TickAsync();
        }
        Assert.Equal(HealthStatus.Healthy, _supervisor.Monitor.Get("gitlab", "gitlab")!.Health.Status);
        _probe.Failing.Add("gitlab");
        for (int i = 0; i < 3; i++)
        {
            await TickAsync();
        }
        Assert.Equal(1, Restarts("gitlab"));
        for (int i = 0; i < 3; i++)
        {
            await TickAsync(); // unhealthy again after 3 failures, but the 30 s backoff has just passed: second restart
        }
        Assert.Equal(2, Restarts("gitlab"));
        for (int i = 0; i < 5; i++)
        {
            await TickAsync(); // unhealthy again after 30 s, but the backoff is now 60 s
        }
        Assert.Equal(2, Restarts("gitlab"));
        await TickAsync(); // 60 s after the second restart
        Assert.Equal(3, Restarts("gitlab"));
        _probe.Failing.Remove("gitlab");
        await TickAsync();
        Assert.Equal(HealthStatus.Healthy, _supervisor.Monitor.Get("gitlab", "gitlab")!.Health.Status);
        IReadOnlyList<ApplianceEventRecord> events = await EventsAsync();
        Assert.Contains(events, e => e.Kind == EventKind.Health && e.Message == "healthy -> unhealthy" && e.Reason!.Contains("3 failed check(s)"));
        Assert.Contains(events, e => e.Kind == EventKind.Autoheal && e.Message == "recovered");
        Assert.Equal(3, events.Count(e => e.Kind == EventKind.Autoheal && e.Message == "restarting the unhealthy container"));
        Assert.NotEmpty(await _supervisor.Monitor.HistoryAsync("gitlab", "gitlab"));
    }

    [Fact]
    public async Task NeverRecovers_TripsCircuitBreaker_AndRaisesOneAlert()
    {
        _probe.Failing.Add("gitlab");
        for (int i = 0; i < 100; i++)
        {
            await TickAsync();
        }
        Assert.Equal(3, Restarts("gitlab"));
        IReadOnlyList<ApplianceEventRecord> alerts = [.. (await EventsAsync()).Where(e => e.Kind == EventKind.Alert)];
        ApplianceEventRecord alert = Assert.Single(alerts);
        Assert.Equal("gitlab", alert.Service);
        Assert.Contains("circuit breaker open", alert.Message);
        Assert.True(_supervisor.Monitor.Get("gitlab", "gitlab")!.Autoheal.BreakerOpen);
    }

    [Fact]
    public async Task DatabaseDown_AppIsNotRestartedInALoop_AndIsRestartedAfterDatabaseRecovers()
    {
        await TickAsync();
        _runtime.Exit("gitlab", "postgresql", 1);
        _probe.Failing.Add("gitlab");
        for (int i = 0; i < 60; i++)
        {
            await TickAsync(); // ten minutes with the database down
        }
        Assert.Equal(0, Restarts("gitlab"));
        Assert.Single(await EventsAsync(), e => e.Message == "not restarting: waiting for a dependency");

        await _runtime.RestartServiceAsync("gitlab", "postgresql");
        await TickAsync(); // database running, first check passes: healthy
        Assert.Equal(HealthStatus.Healthy, _supervisor.Monitor.Get("gitlab", "postgresql")!.Health.Status);
        Assert.Equal(1, Restarts("gitlab"));
        ApplianceEventRecord restart = (await EventsAsync()).Last(e => e.Kind == EventKind.Autoheal && e.Message == "restarting the unhealthy container");
        Assert.Contains("dependency 'postgresql' is usable again", restart.Reason);
        _probe.Failing.Remove("gitlab");
        await TickAsync();
        Assert.Equal(HealthStatus.Healthy, _supervisor.Monitor.Get("gitlab", "gitlab")!.Health.Status);
    }

    [Fact]
    public async Task Check_OfTheOldDefinition_FinishingAfterAnUpdate_DoesNotCountForTheNewDeployment()
    {
        // An update lands while a check of version 1 runs (its probe may even reach version 2's new container): its pass
        // must not make version 2 healthy, or a deploy whose own check never passes would be declared up.
        var v2 = new StackModel("gitlab", 2,
        [
            new ServiceModel("postgresql", RestartPolicy.Parse("always"), Check with { Command = ["cat", "/tmp/missing"] }, [], Autoheal),
        ], Array.Empty<ScheduleSpec>());
        _probe.During = () => _supervisor.Track(v2);

        AutohealDecision? decision = await _supervisor.CheckAsync("gitlab", "postgresql");

        Assert.Null(decision);
        Assert.Equal(HealthStatus.Starting, _supervisor.Monitor.Get("gitlab", "postgresql")!.Health.Status);
        Assert.Empty(await _supervisor.Monitor.HistoryAsync("gitlab", "postgresql", 10));
    }

    [Fact]
    public async Task Watch_StreamsSnapshots_OfChanges()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using IAsyncEnumerator<ServiceHealthSnapshot> watch = _supervisor.Monitor.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        ValueTask<bool> next = watch.MoveNextAsync();
        await TickAsync();
        Assert.True(await next);
        Assert.Equal("gitlab", watch.Current.Stack);
    }

    private sealed class ScriptedProbe : IHealthProbe
    {
        public HashSet<string> Failing { get; } = [];

        public Func<DateTimeOffset> Clock { get; set; } = () => DateTimeOffset.UnixEpoch;

        /// <summary>Runs while a probe is under way (what happens meanwhile elsewhere in the daemon).</summary>
        public Action? During { get; set; }

        public Task<ProbeResult> RunAsync(string stack, ObservedService container, HealthCheckSpec spec, CancellationToken cancellationToken = default)
        {
            During?.Invoke();
            return Task.FromResult(Failing.Contains(container.Service)
                ? new ProbeResult(false, Clock(), TimeSpan.FromMilliseconds(5), "connection refused", 1)
                : new ProbeResult(true, Clock(), TimeSpan.FromMilliseconds(5), "ok", 0));
        }
    }
}
