using Appliance.Web.Hosting;

namespace Appliance.Web.Tests.Hosting;

public sealed class IdleMemoryTrimTests
{
    [Theory]
    [InlineData(0, 0, false)] // nothing happened
    [InlineData(IdleMemoryTrim.BurstBytes - 1, 0, false)] // a few health checks' worth: not worth a collection
    [InlineData(IdleMemoryTrim.BurstBytes, IdleMemoryTrim.QuietBytes, false)] // still busy: never interrupt the work
    [InlineData(IdleMemoryTrim.BurstBytes * 10, IdleMemoryTrim.QuietBytes * 5, false)]
    [InlineData(IdleMemoryTrim.BurstBytes, IdleMemoryTrim.QuietBytes - 1, true)] // the burst is over
    [InlineData(IdleMemoryTrim.BurstBytes * 10, 0, true)]
    public void ShouldTrim_OnlyWhenABurstIsFollowedByAQuietInterval(long sinceTrim, long lastInterval, bool expected) =>
        Assert.Equal(expected, IdleMemoryTrim.ShouldTrim(sinceTrim, lastInterval));
}
