using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Reconcile;
using Appliance.Orchestrator.State;
using Microsoft.Data.Sqlite;

namespace Appliance.Orchestrator.Tests.Reconcile;

public class DeployerTests : IAsyncLifetime
{
    private const string V1 = "postgresql restart=always\nredis restart=always\ngitlab restart=always";
    private const string V2 = "postgresql restart=always\nredis restart=always\ngitlab restart=always\nrunner";
    private const string Broken = "postgresql restart=always\nredis restart=always\ngitlab exits=1";
    private static readonly Dictionary<string, string> NoParameters = [];

    private readonly TempDir _dir = new();
    private readonly FakeRuntime _runtime = new();
    private SqliteStateStore _store = null!;

    public async Task InitializeAsync() => _store = await SqliteStateStore.OpenAsync(_dir.Path);

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private Deployer NewDeployer(Func<string, int, string, CancellationToken, Task>? beforeStep = null) =>
        new(new StackRepository(_store), _runtime, new EventLog(_store),
            new DeployerOptions { VerifyTimeout = TimeSpan.FromMilliseconds(300), VerifyPoll = TimeSpan.FromMilliseconds(10), BeforeStep = beforeStep });

    [Fact]
    public async Task Deploy_RunsPlan_AndRecordsStack()
    {
        DeployResult result = await NewDeployer().DeployAsync("gitlab", V1, NoParameters);
        Assert.True(result.Succeeded, result.Message);
        StackRecord? stack = await new StackRepository(_store).GetStackAsync("gitlab");
        Assert.Equal(1, stack!.Version);
        Assert.Equal(V1, stack.StackFile);
        Assert.Equal(["up gitlab v1"], _runtime.Calls);
        Assert.Equal(DeploymentStatus.Active, (await new StackRepository(_store).DeploymentsAsync("gitlab")).Single().Status);
    }

    [Fact]
    public async Task FailedUpdate_RollsBackToPreviousDeployment()
    {
        await NewDeployer().DeployAsync("gitlab", V1, NoParameters);
        DeployResult result = await NewDeployer().DeployAsync("gitlab", Broken, NoParameters);
        Assert.False(result.Succeeded);
        Assert.Contains("gitlab (exited 1)", result.Message);
        Assert.Contains("rolled back to version 1", result.Message);
        Assert.Equal(1, _runtime.Stacks["gitlab"].Version);
        Assert.True(_runtime.Stacks["gitlab"].Services.Values.All(s => s.State == ContainerState.Running));
        var repo = new StackRepository(_store);
        Assert.Equal(1, (await repo.GetStackAsync("gitlab"))!.Version);
        Assert.Equal([DeploymentStatus.RolledBack, DeploymentStatus.Active], (await repo.DeploymentsAsync("gitlab")).Select(d => d.Status));
        IReadOnlyList<ApplianceEventRecord> events = await new EventLog(_store).RecentAsync("gitlab");
        Assert.Contains(events, e => e.Kind == EventKind.Rollback && e.Reason!.Contains("step 'verify'"));
    }

    [Fact]
    public async Task FailedFirstDeploy_TakesStackDown_KeepingVolumes()
    {
        DeployResult result = await NewDeployer().DeployAsync("gitlab", Broken, NoParameters);
        Assert.False(result.Succeeded);
        Assert.Empty(_runtime.Stacks);
        Assert.Empty(_runtime.VolumesDeleted);
        Assert.Null(await new StackRepository(_store).GetStackAsync("gitlab"));
    }

    [Fact]
    public async Task Remove_KeepsVolumes_UnlessAsked()
    {
        await NewDeployer().DeployAsync("a", V1, NoParameters);
        await NewDeployer().DeployAsync("b", V1, NoParameters);
        await NewDeployer().RemoveAsync("a", removeVolumes: false);
        await NewDeployer().RemoveAsync("b", removeVolumes: true);
        Assert.Equal(["b"], _runtime.VolumesDeleted);
        Assert.Empty(await new StackRepository(_store).ListStacksAsync());
    }

    [Fact]
    public async Task SecondPlanOfSameStack_IsRefused_WhileOneIsUnfinished()
    {
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            NewDeployer((_, _, step, _) => step == PlanStep.Verify ? throw new OperationCanceledException() : Task.CompletedTask)
                .DeployAsync("gitlab", V1, NoParameters));
        StateConflictException e = await Assert.ThrowsAsync<StateConflictException>(() => NewDeployer().DeployAsync("gitlab", V2, NoParameters));
        Assert.Contains("unfinished plan (version 1, pending)", e.Message);
    }

    public static TheoryData<string, string, bool> CrashPoints()
    {
        // (stack file of the update, step to crash at, crash after the step's effect instead of before it)
        var data = new TheoryData<string, string, bool>();
        foreach (string step in PlanStep.DeployPlan)
        {
            data.Add(V2, step, false);
        }
        data.Add(Broken, PlanStep.Up, false);
        data.Add(Broken, PlanStep.Verify, false);
        data.Add(V2, PlanStep.Up, true);
        data.Add(Broken, PlanStep.Up, true);
        foreach (string step in PlanStep.RollbackPlan)
        {
            data.Add(Broken, step, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CrashPoints))]
    public async Task CrashAtAnyStep_OfAnUpdate_EndsFullyUpOrFullyRolledBack(string update, string crashStep, bool afterEffect)
    {
        await NewDeployer().DeployAsync("gitlab", V1, NoParameters);
        await NewDeployer().DeployAsync("other", V1, NoParameters);
        var untouched = _runtime.Stacks["other"].Services.ToDictionary();

        // The first daemon dies at the step (a cancellation unwinds like a kill: nothing after it runs).
        bool crashed = false;
        Deployer first = NewDeployer((_, _, step, _) =>
        {
            if (step == crashStep && !afterEffect && !crashed)
            {
                crashed = true;
                throw new OperationCanceledException("simulated SIGKILL");
            }
            _runtime.CrashAfterUp = afterEffect && step == crashStep && !crashed;
            crashed |= _runtime.CrashAfterUp;
            return Task.CompletedTask;
        });
        try
        {
            await first.DeployAsync("gitlab", update, NoParameters);
        }
        catch (OperationCanceledException)
        {
        }
        _runtime.CrashAfterUp = false;
        Assert.True(crashed, $"the plan never reached step '{crashStep}'");

        // A new daemon on the same state dir resumes.
        IReadOnlyList<DeployResult> resumed = await NewDeployer().RecoverAsync();

        var repo = new StackRepository(_store);
        Assert.Empty(await repo.UnfinishedAsync());
        StackRecord stack = (await repo.GetStackAsync("gitlab"))!;
        var running = _runtime.Stacks["gitlab"];
        Assert.True(running.Services.Values.All(s => s.State == ContainerState.Running), string.Join(", ", running.Services.Values));
        if (update == V2)
        {
            Assert.Equal(2, stack.Version);
            Assert.Equal(2, running.Version);
            Assert.Equal(4, running.Services.Count);
        }
        else
        {
            Assert.Equal(1, stack.Version);
            Assert.Equal(1, running.Version);
            Assert.Equal(DeploymentStatus.RolledBack, (await repo.GetDeploymentAsync("gitlab", 2))!.Status);
        }
        Assert.Equal(untouched, _runtime.Stacks["other"].Services);
        Assert.Single(resumed);
    }
}
