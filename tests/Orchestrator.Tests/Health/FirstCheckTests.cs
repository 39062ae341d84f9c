using Appliance.Orchestrator.Health;

namespace Appliance.Orchestrator.Tests.Health;

public class FirstCheckTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 10, 15, 42, 317, TimeSpan.Zero);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(30, 5)]
    [InlineData(300, 5)]
    public void FirstCheck_ComesAfterMinOfIntervalAnd5s_AndBeforeTwiceThat_OnItsGrid(int intervalSeconds, int firstSeconds)
    {
        DateTimeOffset at = SupervisionScheduler.FirstCheckAt(Now, TimeSpan.FromSeconds(intervalSeconds));

        Assert.InRange(at - Now, TimeSpan.FromSeconds(firstSeconds), TimeSpan.FromSeconds(2 * firstSeconds));
        Assert.Equal(0, at.UtcTicks % TimeSpan.FromSeconds(firstSeconds).Ticks);
    }

    [Fact]
    public void ChecksOfOneInterval_ScheduledMomentsApart_FireTogether()
    {
        // A stack's services are scheduled one after another within milliseconds: their checks share the instants, so
        // Quartz wakes once for all of them.
        TimeSpan interval = TimeSpan.FromSeconds(30);
        DateTimeOffset first = SupervisionScheduler.FirstCheckAt(Now, interval);

        Assert.Equal(first, SupervisionScheduler.FirstCheckAt(Now.AddMilliseconds(40), interval));
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 10, 15, 50, TimeSpan.Zero), first);
    }

    [Fact]
    public void AnInstantOnTheGrid_IsKept()
    {
        var onGrid = new DateTimeOffset(2026, 12, 7, 10, 15, 40, TimeSpan.Zero);

        Assert.Equal(onGrid.AddSeconds(5), SupervisionScheduler.FirstCheckAt(onGrid, TimeSpan.FromSeconds(30)));
        Assert.Equal(onGrid.AddMilliseconds(250), SupervisionScheduler.FirstCheckAt(onGrid, TimeSpan.FromMilliseconds(250)));
    }
}
