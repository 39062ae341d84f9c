namespace Appliance.Orchestrator.Health;

/// <summary>What the tracker knows about one container's health; immutable, replaced on every probe.</summary>
/// <param name="Since">When <see cref="Status"/> last changed.</param>
/// <param name="FailingStreak">Consecutive failures counted (those inside start_period are not).</param>
public sealed record HealthState(HealthStatus Status, DateTimeOffset ContainerStartedAt, DateTimeOffset Since, int FailingStreak, ProbeResult? Last)
{
    public static HealthState Started(DateTimeOffset startedAt) => new(HealthStatus.Starting, startedAt, startedAt, 0, null);
}
