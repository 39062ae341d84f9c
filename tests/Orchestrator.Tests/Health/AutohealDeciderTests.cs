using Appliance.Orchestrator.Health;

namespace Appliance.Orchestrator.Tests.Health;

public class AutohealDeciderTests
{
    private static readonly AutohealPolicy Policy = new()
    {
        Backoff = new ExponentialBackoff(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5)),
        BreakerFailures = 3,
        BreakerWindow = TimeSpan.FromMinutes(30),
    };

    private readonly FakeClock _clock = FakeClock.At();
    private AutohealState _state = AutohealState.Initial;

    private HealthState Unhealthy() => new(HealthStatus.Unhealthy, _clock.Now.AddMinutes(-10), _clock.Now.AddSeconds(-1), 3, null);

    private HealthState Healthy() => new(HealthStatus.Healthy, _clock.Now.AddMinutes(-10), _clock.Now, 0, null);

    private AutohealAction Step(HealthState health, params DependencyHealth[] dependencies)
    {
        AutohealDecision decision = AutohealDecider.Decide(_state, health, dependencies, Policy, _clock.Now);
        _state = decision.State;
        return decision.Action;
    }

    [Fact]
    public void Unhealthy_IsRestarted_WithGrowingBackoff()
    {
        Assert.Equal(AutohealAction.Restart, Step(Unhealthy()));
        _clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(AutohealAction.Backoff, Step(Unhealthy()));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(AutohealAction.Restart, Step(Unhealthy()));
        _clock.Advance(TimeSpan.FromSeconds(19));
        Assert.Equal(AutohealAction.Backoff, Step(Unhealthy()));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(AutohealAction.Restart, Step(Unhealthy()));
        Assert.Equal(3, _state.Attempts);
    }

    [Fact]
    public void NeverRecovers_TripsBreaker_ThenStops_UntilHealthy()
    {
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(AutohealAction.Restart, Step(Unhealthy()));
            _clock.Advance(TimeSpan.FromMinutes(2));
        }
        Assert.Equal(AutohealAction.TripBreaker, Step(Unhealthy()));
        Assert.True(_state.BreakerOpen);
        for (int i = 0; i < 10; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(10));
            Assert.Equal(AutohealAction.None, Step(Unhealthy()));
        }
        Assert.Equal(AutohealAction.Recovered, Step(Healthy()));
        Assert.False(_state.BreakerOpen);
        Assert.Equal(AutohealAction.Restart, Step(Unhealthy()));
    }

    [Fact]
    public void RestartsOutsideWindow_DoNotTripBreaker()
    {
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(AutohealAction.Restart, Step(Unhealthy()));
            _clock.Advance(TimeSpan.FromMinutes(16));
        }
    }

    [Fact]
    public void DatabaseDown_AppIsNotRestartedInALoop_AndIsRestartedOnceDatabaseIsHealthy()
    {
        var dbDown = new DependencyHealth("postgresql", Running: false, HealthStatus.None);
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(AutohealAction.WaitForDependency, Step(Unhealthy(), dbDown));
            _clock.Advance(TimeSpan.FromSeconds(30));
        }
        Assert.Equal("postgresql", _state.WaitingFor);
        Assert.Empty(_state.Restarts);
        Assert.Equal(AutohealAction.WaitForDependency, Step(Unhealthy(), dbDown with { Running = true, Health = HealthStatus.Starting }));
        Assert.Equal(AutohealAction.Restart, Step(Unhealthy(), dbDown with { Running = true, Health = HealthStatus.Healthy }));
        Assert.Null(_state.WaitingFor);
        Assert.Single(_state.Restarts);
    }

    [Fact]
    public void DependencyRecovered_RestartsEvenInsideBackoff()
    {
        Assert.Equal(AutohealAction.Restart, Step(Unhealthy()));
        var db = new DependencyHealth("postgresql", Running: true, HealthStatus.Unhealthy);
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(AutohealAction.WaitForDependency, Step(Unhealthy(), db));
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(AutohealAction.Restart, Step(Unhealthy(), db with { Health = HealthStatus.Healthy }));
    }

    [Fact]
    public void Starting_Or_Disabled_Or_InGrace_IsLeftAlone()
    {
        Assert.Equal(AutohealAction.None, Step(new HealthState(HealthStatus.Starting, _clock.Now, _clock.Now, 0, null)));
        Assert.Equal(AutohealAction.None,
            AutohealDecider.Decide(_state, Unhealthy(), [], Policy with { Enabled = false }, _clock.Now).Action);
        Assert.Equal(AutohealAction.None,
            AutohealDecider.Decide(_state, Unhealthy(), [], Policy with { UnhealthyGrace = TimeSpan.FromMinutes(1) }, _clock.Now).Action);
    }

    [Fact]
    public void DependencyWithoutHealthcheck_CountsWhenRunning() =>
        Assert.Equal(AutohealAction.Restart, Step(Unhealthy(), new DependencyHealth("redis", Running: true, HealthStatus.None)));
}
