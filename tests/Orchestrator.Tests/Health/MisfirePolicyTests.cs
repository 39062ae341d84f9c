using Appliance.Orchestrator.Health.Schedules;

namespace Appliance.Orchestrator.Tests.Health;

public class MisfirePolicyTests
{
    private static DateTimeOffset Local(int day, int hour, int minute = 0) =>
        new DateTimeOffset(new DateTime(2026, 11, day, hour, minute, 0, DateTimeKind.Unspecified), TimeZoneInfo.Local.GetUtcOffset(new DateTime(2026, 11, day, hour, minute, 0)));

    [Fact]
    public void MissedNightlyRuns_WhileDown_AreRunOnce()
    {
        DateTimeOffset? missed = MisfirePolicy.MissedSince("0 0 3 * * ?", lastRun: Local(20, 3), registered: Local(1, 0), now: Local(23, 9));
        Assert.Equal(Local(21, 3), missed);
    }

    [Fact]
    public void NothingMissed_WhenTheLastRunIsTheLatestFireTime()
    {
        Assert.Null(MisfirePolicy.MissedSince("0 0 3 * * ?", lastRun: Local(23, 3), registered: Local(1, 0), now: Local(23, 9)));
    }

    [Fact]
    public void NewSchedule_CountsFromRegistration_NotFromTheEpoch()
    {
        Assert.Null(MisfirePolicy.MissedSince("0 0 3 * * ?", lastRun: null, registered: Local(23, 8), now: Local(23, 9)));
        Assert.Equal(Local(24, 3), MisfirePolicy.MissedSince("0 0 3 * * ?", lastRun: null, registered: Local(23, 8), now: Local(24, 4)));
    }

    [Theory]
    [InlineData("0 0 3 * * ?", true)]
    [InlineData("0 */15 * * * ?", true)]
    [InlineData("every night", false)]
    [InlineData("0 0 25 * * ?", false)]
    public void Validate_ExplainsBadCron(string cron, bool valid)
    {
        string? error = MisfirePolicy.Validate(cron);
        Assert.Equal(valid, error is null);
        if (!valid)
        {
            Assert.Contains("e.g. \"0 0 3 * * ?\"", error);
        }
    }
}
