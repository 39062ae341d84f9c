using Appliance.Web.Ui.Storage;

namespace Appliance.Web.Tests.Ui;

public sealed class DiskSpaceTests
{
    [Theory]
    [InlineData(false, 50, false)]
    [InlineData(false, 5, false)]
    [InlineData(false, 4.9, true)]
    [InlineData(true, 4.9, true)]
    [InlineData(true, 8, true)] // recovering, not yet: no flapping around 5 %
    [InlineData(true, 10, true)]
    [InlineData(true, 10.1, false)]
    public void IsLowNow_LowUnderFivePercent_RecoveredOnlyAboveTen(bool wasLow, double freePercent, bool expected) =>
        Assert.Equal(expected, DiskSpace.IsLowNow(wasLow, freePercent));

    [Fact]
    public void Describe_SaysFreeTotalAndPercent()
    {
        var usage = new DiskUsage("/var/lib/appliance", 3L << 30, 60L << 30);
        Assert.Equal("3 GiB free of 60 GiB (5 %) on /var/lib/appliance", usage.Describe());
        Assert.False(usage.IsLow);
        Assert.True((usage with { FreeBytes = 2L << 30 }).IsLow);
        Assert.Equal("512 KiB", DiskSpace.Format(512 * 1024));
        Assert.Equal("1.5 TiB", DiskSpace.Format(3L << 39));
    }
}
