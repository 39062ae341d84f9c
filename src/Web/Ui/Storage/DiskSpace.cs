using System.Globalization;
using Microsoft.Extensions.Options;

namespace Appliance.Web.Ui.Storage;

/// <summary>Free and total bytes of the file system holding the state directory (images, volumes, logs, the database).</summary>
public sealed record DiskUsage(string Path, long FreeBytes, long TotalBytes)
{
    public double FreePercent => TotalBytes <= 0 ? 100 : 100.0 * FreeBytes / TotalBytes;

    /// <summary>Under <see cref="DiskSpace.LowPercent"/> free.</summary>
    public bool IsLow => FreePercent < DiskSpace.LowPercent;

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{DiskSpace.Format(FreeBytes)} free of {DiskSpace.Format(TotalBytes)} ({FreePercent:0.#} %) on {Path}");
}

/// <summary>
/// How full the state directory's disk is. Low under 5 % free: the dashboard says so and the daemon raises an alert; it
/// counts as recovered above 10 % (so a disk hovering at the line does not alert again and again).
/// </summary>
public sealed class DiskSpace(IOptions<UiOptions> options)
{
    public const double LowPercent = 5;

    public const double RecoveredPercent = 10;

    /// <summary>Now; null when the file system cannot be asked (the directory is missing).</summary>
    public DiskUsage? Measure()
    {
        string path = options.Value.StateDir;
        try
        {
            var drive = new DriveInfo(path);
            return new DiskUsage(path, drive.AvailableFreeSpace, drive.TotalSize);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Whether the disk counts as low now, given whether it did before: low under 5 %, recovered only above 10 %.</summary>
    public static bool IsLowNow(bool wasLow, double freePercent) => wasLow ? freePercent <= RecoveredPercent : freePercent < LowPercent;

    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 40 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 40):0.#} TiB"),
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.#} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.#} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
    };
}
