namespace Appliance.Orchestrator.Stacks.Resolved;

/// <summary>
/// Restart an unhealthy container: at most <see cref="MaxRestarts"/> within <see cref="Window"/>,
/// waiting <see cref="Backoff"/> (doubling) between tries; then stop trying (circuit open).
/// Enabled by default for services that have a health check.
/// </summary>
public sealed record AutohealPolicy(bool Enabled, int MaxRestarts, TimeSpan Window, TimeSpan Backoff)
{
    public const int DefaultMaxRestarts = 5;
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromHours(1);
    public static readonly TimeSpan DefaultBackoff = TimeSpan.FromSeconds(10);
}
