namespace Appliance.Orchestrator.Health;

/// <summary>What autoheal decided for one service at one moment.</summary>
public enum AutohealAction
{
    /// <summary>Nothing to do (healthy, starting, disabled, or the breaker is already open).</summary>
    None,

    /// <summary>Restart the container now.</summary>
    Restart,

    /// <summary>Unhealthy, but the last restart was too recent (backoff).</summary>
    Backoff,

    /// <summary>Unhealthy, but a dependency is down or unhealthy: restarting would not help.</summary>
    WaitForDependency,

    /// <summary>Too many restarts in the window: stop trying and raise an alert.</summary>
    TripBreaker,

    /// <summary>The container is healthy again after autoheal worked on it (or after the breaker opened).</summary>
    Recovered,
}
