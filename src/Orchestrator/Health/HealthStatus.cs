namespace Appliance.Orchestrator.Health;

/// <summary>A container's health, as Compose/Docker report it. Wire names: <see cref="HealthStatusNames"/>.</summary>
public enum HealthStatus
{
    /// <summary>No health check (or <c>NONE</c>): only running/exited counts.</summary>
    None,

    /// <summary>Started, within its start_period, no success yet.</summary>
    Starting,

    Healthy,

    /// <summary>`retries` consecutive failures after start_period.</summary>
    Unhealthy,
}
