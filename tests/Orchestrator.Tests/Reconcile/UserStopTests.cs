using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Reconcile;
using Appliance.Orchestrator.State;
using Microsoft.Data.Sqlite;

namespace Appliance.Orchestrator.Tests.Reconcile;

/// <summary>A user's stop (<see cref="StackControl"/>) against the <see cref="Reconciler"/>: Docker's rules for always and unless-stopped.</summary>
public class UserStopTests : IAsyncLifetime
{
    private const string Stack = "postgresql restart=always\nredis restart=unless-stopped\ngitlab restart=on-failure:2\njob";
    private readonly TempDir _dir = new();
    private readonly FakeRuntime _runtime = new();
    private readonly FakeClock _clock = FakeClock.At();
    private SqliteStateStore _store = null!;
    private StackRepository _stacks = null!;
    private StackControl _control = null!;
    private Reconciler _reconciler = null!;

    public async Task InitializeAsync()
    {
        _store = await SqliteStateStore.OpenAsync(_dir.Path);
        _runtime.Clock = () => _clock.Now;
        var events = new EventLog(_store, _clock);
        _stacks = new StackRepository(_store, _clock);
        var locks = new StackLocks();
        await new Deployer(_stacks, _runtime, events, locks: locks).DeployAsync("gitlab", Stack, new Dictionary<string, string>());
        _control = new StackControl(_stacks, _runtime, events, locks);
        _reconciler = new Reconciler(_stacks, _runtime, _runtime, events, _clock, locks);
        _runtime.Calls.Clear();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    [Theory]
    [InlineData("postgresql")]
    [InlineData("redis")]
    public async Task StoppedService_IsNotRestartedByPolicy_UntilAUserStartsIt(string service)
    {
        Assert.True((await _control.StopServiceAsync("gitlab", service, "test")).Succeeded);
        Assert.Equal([$"stop gitlab/{service}"], _runtime.Calls);
        _clock.Advance(TimeSpan.FromMinutes(5));
        await _reconciler.ReconcileAsync(atStart: false);
        _clock.Advance(TimeSpan.FromMinutes(5));
        ReconcileReport report = await _reconciler.ReconcileAsync(atStart: false);
        Assert.Empty(report.Actions);
        Assert.Equal(ContainerState.Exited, _runtime.Stacks["gitlab"].Services[service].State);

        Assert.True((await _control.StartServiceAsync("gitlab", service, "test")).Succeeded);
        Assert.Equal(ContainerState.Running, _runtime.Stacks["gitlab"].Services[service].State);
        Assert.Empty(await _stacks.StoppedServicesAsync("gitlab"));
    }

    [Fact]
    public async Task ServiceStart_OfARunningService_IsANoOp_Restart_RestartsIt()
    {
        _runtime.Calls.Clear();
        ControlResult started = await _control.StartServiceAsync("gitlab", "redis", "test");
        Assert.Equal("'gitlab/redis' already runs", started.Message);
        Assert.Empty(_runtime.Calls);

        ControlResult restarted = await _control.StartServiceAsync("gitlab", "redis", "test", restart: true);
        Assert.True(restarted.Succeeded);
        Assert.Equal("'gitlab/redis' restarted", restarted.Message);
        Assert.Equal(["restart gitlab/redis"], _runtime.Calls);
        Assert.Equal(ContainerState.Running, _runtime.Stacks["gitlab"].Services["redis"].State);
    }

    [Fact]
    public async Task ServiceRestart_OfAStoppedService_StartsIt_AndForgetsTheStop()
    {
        await _control.StopServiceAsync("gitlab", "redis", "test");
        ControlResult restarted = await _control.StartServiceAsync("gitlab", "redis", "test", restart: true);
        Assert.Equal("'gitlab/redis' started", restarted.Message);
        Assert.Equal(ContainerState.Running, _runtime.Stacks["gitlab"].Services["redis"].State);
        Assert.Empty(await _stacks.StoppedServicesAsync("gitlab"));
    }

    [Fact]
    public async Task AtDaemonStart_StoppedAlways_ComesBack_StoppedUnlessStopped_Stays()
    {
        await _control.StopServiceAsync("gitlab", "postgresql", "test");
        await _control.StopServiceAsync("gitlab", "redis", "test");
        _runtime.Calls.Clear();

        ReconcileReport report = await _reconciler.ReconcileAsync(atStart: true);

        Assert.Equal(["gitlab/postgresql: started (always)"], report.Actions);
        Assert.Equal(ContainerState.Running, _runtime.Stacks["gitlab"].Services["postgresql"].State);
        Assert.Equal(ContainerState.Exited, _runtime.Stacks["gitlab"].Services["redis"].State);
        // always's stop is used up by the daemon start; unless-stopped's stays, so a later exit of postgresql is restarted again.
        Assert.Equal(["redis"], (await _stacks.StoppedServicesAsync("gitlab")).Order());
    }

    [Fact]
    public async Task StoppedStack_StaysStoppedByPasses_AndAtDaemonStart_OnlyAlwaysComesBack()
    {
        Assert.True((await _control.StopStackAsync("gitlab", "test")).Succeeded);
        Assert.All(_runtime.Stacks["gitlab"].Services.Values, s => Assert.Equal(ContainerState.Exited, s.State));
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Empty((await _reconciler.ReconcileAsync(atStart: false)).Actions);

        ReconcileReport report = await _reconciler.ReconcileAsync(atStart: true);

        Assert.Equal(["gitlab/postgresql: started (always)"], report.Actions);
        Assert.Equal("running", (await _stacks.GetStackAsync("gitlab"))!.DesiredState);
        Assert.Equal(["gitlab", "job", "redis"], (await _stacks.StoppedServicesAsync("gitlab")).Order());
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Empty((await _reconciler.ReconcileAsync(atStart: false)).Actions);
    }

    [Fact]
    public async Task AfterAReboot_MissingContainers_AreRecreated_AndWhatTheUserStopped_IsStoppedAgain()
    {
        await _control.StopServiceAsync("gitlab", "redis", "test");
        foreach (string service in new[] { "postgresql", "redis", "gitlab", "job" })
        {
            _runtime.Lose("gitlab", service);
        }
        _runtime.Calls.Clear();

        await _reconciler.ReconcileAsync(atStart: true);

        Assert.Equal(["up gitlab v1", "stop gitlab/redis"], _runtime.Calls);
        Assert.Equal(ContainerState.Exited, _runtime.Stacks["gitlab"].Services["redis"].State);
        Assert.Equal(ContainerState.Running, _runtime.Stacks["gitlab"].Services["postgresql"].State);
    }

    [Fact]
    public async Task Deploy_ForgetsTheUsersStops()
    {
        await _control.StopServiceAsync("gitlab", "redis", "test");
        await new Deployer(_stacks, _runtime, new EventLog(_store, _clock)).DeployAsync("gitlab", Stack + "\nextra", new Dictionary<string, string>());
        Assert.Empty(await _stacks.StoppedServicesAsync("gitlab"));
    }

    [Fact]
    public async Task UnknownStackOrService_IsNotFound()
    {
        Assert.Equal(ControlOutcome.NotFound, (await _control.StopServiceAsync("nope", "redis", "test")).Outcome);
        Assert.Equal(ControlOutcome.NotFound, (await _control.StopServiceAsync("gitlab", "nope", "test")).Outcome);
        Assert.Empty(_runtime.Calls);
    }

    [Fact]
    public async Task StopsSurviveReopeningTheStateDatabase()
    {
        await _control.StopServiceAsync("gitlab", "redis", "test");
        await _store.DisposeAsync();
        _store = await SqliteStateStore.OpenAsync(_dir.Path);
        Assert.Equal(["redis"], await new StackRepository(_store).StoppedServicesAsync("gitlab"));
    }
}
