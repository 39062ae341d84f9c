namespace Appliance.Orchestrator.Health;

/// <summary>One health check run as kept in the history (last 100 per service).</summary>
public sealed record HealthHistoryEntry(DateTimeOffset Time, HealthStatus Status, bool Passed, int? ExitCode, string Output, TimeSpan Duration);
