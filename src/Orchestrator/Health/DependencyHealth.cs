namespace Appliance.Orchestrator.Health;

/// <summary>A dependency (<c>depends_on</c>) as autoheal sees it: usable when running and not unhealthy/starting
/// (a dependency with no health check counts when it runs).</summary>
public sealed record DependencyHealth(string Service, bool Running, HealthStatus Health)
{
    public bool Usable => Running && Health is HealthStatus.Healthy or HealthStatus.None;
}
