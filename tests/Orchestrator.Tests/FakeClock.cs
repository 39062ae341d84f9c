namespace Appliance.Orchestrator.Tests;

/// <summary>A clock tests move by hand.</summary>
public sealed class FakeClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; private set; } = start;

    public static FakeClock At(int hour = 12, int minute = 0) => new(new DateTimeOffset(2026, 11, 24, hour, minute, 0, TimeSpan.Zero));

    public DateTimeOffset Advance(TimeSpan by) => Now += by;

    public override DateTimeOffset GetUtcNow() => Now;
}
