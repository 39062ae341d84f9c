using Appliance.Orchestrator.Health;

namespace Appliance.Orchestrator.Tests.Health;

public class HealthTrackerTests
{
    private static readonly HealthCheckSpec Spec = new() { Retries = 3, Interval = TimeSpan.FromSeconds(5), StartPeriod = TimeSpan.FromSeconds(30) };
    private readonly FakeClock _clock = FakeClock.At();

    private ProbeResult Probe(bool passed, TimeSpan after)
    {
        _clock.Advance(after);
        return new ProbeResult(passed, _clock.Now, TimeSpan.FromMilliseconds(3), passed ? "ok" : "refused");
    }

    [Fact]
    public void Failures_InsideStartPeriod_DoNotCount()
    {
        HealthState state = HealthState.Started(_clock.Now);
        for (int i = 0; i < 5; i++)
        {
            state = HealthTracker.Apply(state, Probe(false, TimeSpan.FromSeconds(5)), Spec);
        }
        Assert.Equal(HealthStatus.Starting, state.Status);
        Assert.Equal(0, state.FailingStreak);
    }

    [Fact]
    public void Success_InsideStartPeriod_MakesHealthy_ThenFailuresCount()
    {
        HealthState state = HealthTracker.Apply(HealthState.Started(_clock.Now), Probe(true, TimeSpan.FromSeconds(5)), Spec);
        Assert.Equal(HealthStatus.Healthy, state.Status);
        state = HealthTracker.Apply(state, Probe(false, TimeSpan.FromSeconds(5)), Spec);
        state = HealthTracker.Apply(state, Probe(false, TimeSpan.FromSeconds(5)), Spec);
        Assert.Equal(HealthStatus.Healthy, state.Status);
        Assert.Equal(2, state.FailingStreak);
        state = HealthTracker.Apply(state, Probe(false, TimeSpan.FromSeconds(5)), Spec);
        Assert.Equal(HealthStatus.Unhealthy, state.Status);
        Assert.Equal(_clock.Now, state.Since);
    }

    [Fact]
    public void RetriesFailures_AfterStartPeriod_MakeUnhealthy_AndOneSuccessHeals()
    {
        HealthState state = HealthState.Started(_clock.Now);
        state = HealthTracker.Apply(state, Probe(false, TimeSpan.FromSeconds(31)), Spec);
        state = HealthTracker.Apply(state, Probe(false, TimeSpan.FromSeconds(5)), Spec);
        Assert.Equal(HealthStatus.Starting, state.Status);
        state = HealthTracker.Apply(state, Probe(false, TimeSpan.FromSeconds(5)), Spec);
        Assert.Equal(HealthStatus.Unhealthy, state.Status);
        state = HealthTracker.Apply(state, Probe(true, TimeSpan.FromSeconds(5)), Spec);
        Assert.Equal(HealthStatus.Healthy, state.Status);
        Assert.Equal(0, state.FailingStreak);
    }

    [Theory]
    [InlineData(new[] { "CMD", "pg_isready", "-U", "git" }, new[] { "pg_isready", "-U", "git" })]
    [InlineData(new[] { "CMD-SHELL", "curl -f localhost || exit 1" }, new[] { "/bin/sh", "-c", "curl -f localhost || exit 1" })]
    [InlineData(new[] { "redis-cli ping" }, new[] { "/bin/sh", "-c", "redis-cli ping" })]
    public void CommandFromCompose_MapsTestForms(string[] test, string[] argv) =>
        Assert.Equal(argv, HealthCheckSpec.CommandFromCompose(test));

    [Fact]
    public void CommandFromCompose_Rejects_None() =>
        Assert.Throws<FormatException>(() => HealthCheckSpec.CommandFromCompose(["NONE"]));
}
