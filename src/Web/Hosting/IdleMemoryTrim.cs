using System.Runtime;
using System.Runtime.InteropServices;

namespace Appliance.Web.Hosting;

/// <summary>
/// Gives memory back once a burst of work is over. A deploy, a pull or an hour in the UI leaves the GC heap and glibc's
/// arenas grown; an idle daemon allocates almost nothing, so no collection comes to shrink them, and a small VPS keeps
/// paying for a deploy done days ago. Every <see cref="DaemonOptions.MemoryTrimInterval"/> this looks at how much was
/// allocated: when a burst (<see cref="BurstBytes"/> since the last trim) is followed by a quiet interval
/// (under <see cref="QuietBytes"/>), it runs one aggressive, compacting collection (which returns free regions to the
/// kernel) and <c>malloc_trim</c>. A busy daemon is never interrupted by it; an idle one pays one collection per burst.
/// </summary>
public sealed partial class IdleMemoryTrim(DaemonOptions options, ILogger<IdleMemoryTrim> log) : BackgroundService
{
    /// <summary>Allocated since the last trim before one is worth it (a deploy allocates hundreds of MB, the daemon's start tens,
    /// a health check a few KB).</summary>
    public const long BurstBytes = 16L << 20;

    /// <summary>Allocated during the last interval under which the daemon counts as quiet. Measured per 20 s: 20 stacks idle
    /// (exec checks every 30 s, the reconcile pass every 15 s) ~4.5 MB; 1,000 checks a minute 50-65 MB; a deploy 15-65 MB.</summary>
    public const long QuietBytes = 8L << 20;

    /// <summary>The collections this service ran (for tests).</summary>
    internal int Trims { get; private set; }

    /// <summary>The intervals it looked at (for tests).</summary>
    internal int Ticks { get; private set; }

    /// <summary>Whether to trim now: a burst since the last trim and a quiet last interval.</summary>
    public static bool ShouldTrim(long allocatedSinceTrim, long allocatedLastInterval) =>
        allocatedSinceTrim >= BurstBytes && allocatedLastInterval < QuietBytes;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long atTrim = 0; // the daemon's start is the first burst
        long atTick = GC.GetTotalAllocatedBytes();
        using var timer = new PeriodicTimer(options.MemoryTrimInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                long now = GC.GetTotalAllocatedBytes();
                if (ShouldTrim(now - atTrim, now - atTick))
                {
                    long before = Environment.WorkingSet;
                    Trim();
                    Trims++;
                    Log.Trimmed(log, (now - atTrim) >> 20, before >> 20, Environment.WorkingSet >> 20);
                    atTrim = GC.GetTotalAllocatedBytes();
                }
                atTick = GC.GetTotalAllocatedBytes();
                Ticks++;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the daemon stops
        }
    }

    /// <summary>One compacting collection that decommits what it frees (also trimming the shared array pool), then glibc's trim.</summary>
    internal static void Trim()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        malloc_trim(0);
    }

    [LibraryImport("libc")]
    private static partial int malloc_trim(nuint pad);

    private static partial class Log
    {
        [LoggerMessage(EventId = 9009, Level = LogLevel.Debug, Message = "Idle after {AllocatedMb} MB of allocations: memory trimmed, working set {BeforeMb} -> {AfterMb} MB")]
        public static partial void Trimmed(ILogger logger, long allocatedMb, long beforeMb, long afterMb);
    }
}
