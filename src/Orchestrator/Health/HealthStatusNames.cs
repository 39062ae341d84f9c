namespace Appliance.Orchestrator.Health;

/// <summary>The one place that maps <see cref="HealthStatus"/> to its wire text ("none", "starting", "healthy", "unhealthy").</summary>
public static class HealthStatusNames
{
    public static string ToWire(this HealthStatus status) => status switch
    {
        HealthStatus.None => "none",
        HealthStatus.Starting => "starting",
        HealthStatus.Healthy => "healthy",
        HealthStatus.Unhealthy => "unhealthy",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static HealthStatus Parse(string text) => text switch
    {
        "none" => HealthStatus.None,
        "starting" => HealthStatus.Starting,
        "healthy" => HealthStatus.Healthy,
        "unhealthy" => HealthStatus.Unhealthy,
        _ => throw new FormatException($"'{text}' is not a health status; expected none, starting, healthy or unhealthy"),
    };
}
