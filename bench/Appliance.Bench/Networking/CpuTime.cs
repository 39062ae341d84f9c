using System.Runtime.InteropServices;

namespace Appliance.Bench.Networking;

/// <summary>getrusage: CPU time of this process plus its waited-for children (and theirs), in microsecond resolution.</summary>
internal static partial class CpuTime
{
    private const int RUSAGE_SELF = 0;
    private const int RUSAGE_CHILDREN = -1;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrusage(int who, Span<long> usage);

    public static double SelfAndChildrenMilliseconds() => Milliseconds(RUSAGE_SELF) + Milliseconds(RUSAGE_CHILDREN);

    public static double SelfMilliseconds() => Milliseconds(RUSAGE_SELF);

    private static double Milliseconds(int who)
    {
        // struct rusage on 64-bit Linux: ru_utime, ru_stime (struct timeval: seconds, microseconds), then 14 longs.
        Span<long> usage = stackalloc long[18];
        if (getrusage(who, usage) != 0)
        {
            throw new InvalidOperationException($"getrusage failed: errno {Marshal.GetLastPInvokeError()}");
        }
        return (usage[0] + usage[2]) * 1000.0 + (usage[1] + usage[3]) / 1000.0;
    }
}
