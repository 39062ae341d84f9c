namespace Appliance.Orchestrator.Health;

/// <summary>One run of a health check: passed or not, how long it took, what it printed (trimmed to 4 KiB).</summary>
public sealed record ProbeResult(bool Passed, DateTimeOffset Time, TimeSpan Duration, string Output, int? ExitCode = null);
