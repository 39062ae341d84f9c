namespace Appliance.Orchestrator.Health;

/// <summary>Autoheal's memory of one service; immutable, replaced by every decision.</summary>
/// <param name="Restarts">Times of the restarts autoheal did inside the breaker window.</param>
/// <param name="Attempts">Restarts since the service was last healthy (drives the backoff).</param>
/// <param name="WaitingFor">The dependency it is waiting for, if any.</param>
public sealed record AutohealState(IReadOnlyList<DateTimeOffset> Restarts, int Attempts, DateTimeOffset? NextAllowed, bool BreakerOpen, string? WaitingFor)
{
    public static AutohealState Initial { get; } = new([], 0, null, false, null);
}
