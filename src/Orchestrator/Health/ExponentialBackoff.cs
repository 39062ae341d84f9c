namespace Appliance.Orchestrator.Health;

/// <summary>Delay before attempt n (1-based): <c>min(Initial * 2^(n-1), Max)</c>.</summary>
public sealed record ExponentialBackoff(TimeSpan Initial, TimeSpan Max)
{
    /// <summary>Restart policies: 1 s, 2 s, 4 s, ... up to 2 min (Docker uses 100 ms to 1 min).</summary>
    public static ExponentialBackoff Restart { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2));

    public TimeSpan Delay(int attempt)
    {
        if (attempt <= 1)
        {
            return Initial;
        }
        double ticks = Initial.Ticks * Math.Pow(2, Math.Min(attempt - 1, 40));
        return ticks >= Max.Ticks ? Max : TimeSpan.FromTicks((long)ticks);
    }
}
