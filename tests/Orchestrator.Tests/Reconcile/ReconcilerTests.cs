using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Reconcile;
using Appliance.Orchestrator.State;
using Microsoft.Data.Sqlite;

namespace Appliance.Orchestrator.Tests.Reconcile;

public class ReconcilerTests : IAsyncLifetime
{
    private const string Stack = "postgresql restart=always\nredis restart=unless-stopped\ngitlab restart=on-failure:2\njob";
    private readonly TempDir _dir = new();
    private readonly FakeRuntime _runtime = new();
    private readonly FakeClock _clock = FakeClock.At();
    private SqliteStateStore _store = null!;
    private Reconciler _reconciler = null!;

    public async Task InitializeAsync()
    {
        _store = await SqliteStateStore.OpenAsync(_dir.Path);
        _runtime.Clock = () => _clock.Now;
        var events = new EventLog(_store, _clock);
        await new Deployer(new StackRepository(_store), _runtime, events).DeployAsync("gitlab", Stack, new Dictionary<string, string>());
        _runtime.Calls.Clear();
        _reconciler = new Reconciler(new StackRepository(_store), _runtime, _runtime, events, _clock);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    [Fact]
    public async Task Healthy_IsUntouched()
    {
        ReconcileReport report = await _reconciler.ReconcileAsync(atStart: true);
        Assert.True(report.Untouched, string.Join("; ", report.Actions));
        Assert.Empty(_runtime.Calls);
    }

    [Fact]
    public async Task Missing_IsRecreated()
    {
        _runtime.Lose("gitlab", "redis");
        ReconcileReport report = await _reconciler.ReconcileAsync(atStart: false);
        Assert.Equal(["gitlab: recreated redis"], report.Actions);
        Assert.Equal(["up gitlab v1"], _runtime.Calls);
        Assert.Equal(ContainerState.Running, _runtime.Stacks["gitlab"].Services["redis"].State);
    }

    [Fact]
    public async Task Orphan_WithPrefix_IsRemoved_KeepingVolumes()
    {
        _runtime.Stacks["stray"] = (1, []);
        ReconcileReport report = await _reconciler.ReconcileAsync(atStart: true);
        Assert.Equal(["stray: removed (not in Appliance's state; volumes kept)"], report.Actions);
        Assert.Equal(["down stray"], _runtime.Calls);
    }

    [Fact]
    public async Task AtStart_AlwaysAndUnlessStopped_AreStarted_OthersStay()
    {
        foreach (string service in new[] { "postgresql", "redis", "gitlab", "job" })
        {
            _runtime.Exit("gitlab", service, 137);
        }
        await _reconciler.ReconcileAsync(atStart: true);
        Assert.Equal(["restart gitlab/postgresql", "restart gitlab/redis"], _runtime.Calls);
    }

    [Fact]
    public async Task Exited_IsRestartedByPolicy_AfterBackoff_AndOnFailureGivesUp()
    {
        _runtime.Exit("gitlab", "gitlab", 1);
        _runtime.Exit("gitlab", "job", 0);
        await _reconciler.ReconcileAsync(atStart: false);
        Assert.Empty(_runtime.Calls);
        _clock.Advance(TimeSpan.FromSeconds(1));
        await _reconciler.ReconcileAsync(atStart: false);
        Assert.Equal(["restart gitlab/gitlab"], _runtime.Calls);

        for (int i = 0; i < 5; i++)
        {
            _runtime.Exit("gitlab", "gitlab", 1);
            await _reconciler.ReconcileAsync(atStart: false);
            _clock.Advance(TimeSpan.FromSeconds(5));
            await _reconciler.ReconcileAsync(atStart: false);
        }
        Assert.Equal(2, _runtime.Calls.Count(c => c == "restart gitlab/gitlab"));
        IReadOnlyList<ApplianceEventRecord> events = await new EventLog(_store).RecentAsync("gitlab");
        Assert.Contains(events, e => e.Service == "gitlab" && e.Reason!.Contains("gave up after 2"));
        Assert.Contains(events, e => e.Service == "job" && e.Message == "not restarted");
    }

    [Fact]
    public async Task Exited_WaitingOutItsBackoff_ReportsWhenTheRestartIsDue()
    {
        _runtime.Exit("gitlab", "gitlab", 1);
        DateTimeOffset seen = _clock.Now;

        ReconcileReport waiting = await _reconciler.ReconcileAsync(atStart: false);
        _clock.Advance(TimeSpan.FromSeconds(1));
        ReconcileReport restarted = await _reconciler.ReconcileAsync(atStart: false);

        Assert.Equal(seen + TimeSpan.FromSeconds(1), waiting.NextRestartAt);
        Assert.Equal(["restart gitlab/gitlab"], _runtime.Calls);
        Assert.Null(restarted.NextRestartAt);
    }
}
