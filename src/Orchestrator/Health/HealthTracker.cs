namespace Appliance.Orchestrator.Health;

/// <summary>
/// Compose/Docker health semantics as a pure function. A success makes the container healthy and resets the
/// failing streak. A failure while the container is still "starting" and inside start_period (measured from its
/// start) is not counted. Any other failure counts, and <c>retries</c> consecutive ones make it unhealthy.
/// </summary>
public static class HealthTracker
{
    public static HealthState Apply(HealthState state, ProbeResult result, HealthCheckSpec spec)
    {
        if (result.Passed)
        {
            return state with
            {
                Status = HealthStatus.Healthy,
                Since = state.Status == HealthStatus.Healthy ? state.Since : result.Time,
                FailingStreak = 0,
                Last = result,
            };
        }
        bool inStartPeriod = state.Status == HealthStatus.Starting && result.Time < state.ContainerStartedAt + spec.StartPeriod;
        if (inStartPeriod)
        {
            return state with { Last = result };
        }
        int streak = state.FailingStreak + 1;
        bool unhealthy = streak >= Math.Max(1, spec.Retries);
        HealthStatus status = unhealthy ? HealthStatus.Unhealthy : state.Status;
        return state with
        {
            Status = status,
            Since = status == state.Status ? state.Since : result.Time,
            FailingStreak = streak,
            Last = result,
        };
    }
}
