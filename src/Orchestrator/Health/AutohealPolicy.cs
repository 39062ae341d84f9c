namespace Appliance.Orchestrator.Health;

/// <summary>
/// <c>x-appliance.autoheal</c> of a service. A container unhealthy for <see cref="UnhealthyGrace"/> is restarted;
/// consecutive restarts wait <see cref="Backoff"/>; after <see cref="BreakerFailures"/> restarts within
/// <see cref="BreakerWindow"/> the breaker opens: no more restarts, an alert event, until the container is healthy again.
/// </summary>
public sealed record AutohealPolicy
{
    public bool Enabled { get; init; } = true;

    public TimeSpan UnhealthyGrace { get; init; } = TimeSpan.Zero;

    public ExponentialBackoff Backoff { get; init; } = new(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5));

    public int BreakerFailures { get; init; } = 5;

    public TimeSpan BreakerWindow { get; init; } = TimeSpan.FromHours(1);
}
