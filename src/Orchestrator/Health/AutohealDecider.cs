namespace Appliance.Orchestrator.Health;

/// <summary>
/// Autoheal as a pure function of (state, observation, policy, now); the clock is a parameter, so tests drive
/// it with a fake one. Order of the rules: healthy resets everything; a container that is not unhealthy (or not
/// yet for the grace period) is left alone; an open breaker stays open until healthy; a dependency that is not
/// usable means wait (restarting GitLab while PostgreSQL is down only loops); the backoff since the last restart
/// must have passed; restarts inside the window reaching the limit trip the breaker; else restart.
/// </summary>
public static class AutohealDecider
{
    public static AutohealDecision Decide(AutohealState state, HealthState health, IReadOnlyList<DependencyHealth> dependencies,
        AutohealPolicy policy, DateTimeOffset now)
    {
        if (health.Status == HealthStatus.Healthy)
        {
            bool worked = state.Attempts > 0 || state.BreakerOpen || state.WaitingFor is not null;
            return new AutohealDecision(worked ? AutohealAction.Recovered : AutohealAction.None,
                state with { Attempts = 0, NextAllowed = null, BreakerOpen = false, WaitingFor = null },
                worked ? "healthy again" : "healthy");
        }
        if (!policy.Enabled)
        {
            return new AutohealDecision(AutohealAction.None, state, "autoheal is off for this service");
        }
        if (health.Status != HealthStatus.Unhealthy)
        {
            return new AutohealDecision(AutohealAction.None, state, $"health is {health.Status.ToWire()}");
        }
        if (now - health.Since < policy.UnhealthyGrace)
        {
            return new AutohealDecision(AutohealAction.None, state,
                $"unhealthy for {(now - health.Since).TotalSeconds:0} s, grace is {policy.UnhealthyGrace.TotalSeconds:0} s");
        }
        if (state.BreakerOpen)
        {
            return new AutohealDecision(AutohealAction.None, state, "circuit breaker is open; waiting for a person or for it to become healthy");
        }
        DependencyHealth? down = dependencies.FirstOrDefault(d => !d.Usable);
        if (down is not null)
        {
            string why = down.Running ? $"dependency '{down.Service}' is {down.Health.ToWire()}" : $"dependency '{down.Service}' is not running";
            return new AutohealDecision(AutohealAction.WaitForDependency, state with { WaitingFor = down.Service },
                $"{why}; not restarting until it is healthy");
        }
        if (state.NextAllowed is DateTimeOffset next && now < next && state.WaitingFor is null)
        {
            return new AutohealDecision(AutohealAction.Backoff, state, $"backing off until {next:HH:mm:ss} (attempt {state.Attempts})");
        }
        DateTimeOffset[] recent = state.Restarts.Where(t => now - t < policy.BreakerWindow).ToArray();
        if (recent.Length >= policy.BreakerFailures)
        {
            return new AutohealDecision(AutohealAction.TripBreaker, state with { Restarts = recent, BreakerOpen = true, WaitingFor = null },
                $"still unhealthy after {recent.Length} restarts within {Describe(policy.BreakerWindow)}; autoheal stops (circuit breaker open)");
        }
        int attempt = state.Attempts + 1;
        string reason = state.WaitingFor is string dep
            ? $"dependency '{dep}' is usable again and the container is still unhealthy; restarting"
            : $"unhealthy since {health.Since:HH:mm:ss} ({health.FailingStreak} failed checks); restart {attempt}";
        return new AutohealDecision(AutohealAction.Restart,
            new AutohealState([.. recent, now], attempt, now + policy.Backoff.Delay(attempt), false, null), reason);
    }

    private static string Describe(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{span.TotalHours:0.#} h" : span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0} s";
}
