using System.Runtime.InteropServices;
using System.Text;

namespace Appliance.Orchestrator.Runtime;

/// <summary>
/// Bounded container logs. conmon (<c>--log-size-max</c>) starts a fresh <c>ctr.log</c> when the current one would pass the
/// container's max-size: it renames an empty file over it, so the old content would be gone. A hard link
/// <c>ctr.log.keep</c> to the current file keeps it alive; <see cref="KeepRotatedLog"/>, run by the daemon the moment conmon's
/// rename shows (<see cref="KeepRotatingLogsAsync"/>, inotify), turns it into <c>ctr.log.1</c> (shifting older ones; max-file - 1
/// kept) and links the new current file. What could be lost is only a file that conmon started and ended before the daemon
/// got to it (over max-size of output within that moment).
/// </summary>
public sealed partial class RuncRuntime
{
    internal const string LogLimitsFileName = "log.limits";
    private const string KeepSuffix = ".keep";

    private static LogLimits ReadLogLimits(string bundle)
    {
        string file = Path.Combine(bundle, LogLimitsFileName);
        return LogLimits.Parse(File.Exists(file) ? File.ReadAllText(file) : null);
    }

    /// <summary>
    /// Keeps rotated logs until cancelled, without polling: one pass over every container, then one container's pass each time
    /// conmon creates <c>ctr.log</c> or renames a fresh one into its bundle (an inotify watch on names in the containers dir and its subdirs:
    /// a chatty log's writes do not wake it), and a pass over all if the watch overflowed.
    /// </summary>
    public async Task KeepRotatingLogsAsync(CancellationToken cancellationToken)
    {
        string containers = ContainersRoot;
        // STATE/containers/ID/ctr.log: created by conmon when the container starts (the kept link is made at once, or the
        // first file would be lost at the first switch), then renamed over by conmon's ctr.log.tmp at each switch.
        using ContainerNamesWatch watch = WatchContainerNames(path =>
            Path.GetFileName(path) == LogFileName && Path.GetDirectoryName(path) is { } bundle && Path.GetDirectoryName(bundle) == containers
                ? bundle
                : null);
        KeepRotatedLogs(); // whatever rotated while nobody watched
        await foreach (string? bundle in watch.Items.ReadAllAsync(cancellationToken))
        {
            if (bundle is null)
            {
                KeepRotatedLogs();
                continue;
            }
            try
            {
                KeepRotatedLog(bundle);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A container removed meanwhile.
            }
        }
    }

    /// <summary>One pass over every container's log; returns how many were rotated.</summary>
    public int KeepRotatedLogs()
    {
        if (!Directory.Exists(_options.ContainersDirectory))
        {
            return 0;
        }
        int rotated = 0;
        foreach (string bundle in Directory.EnumerateDirectories(_options.ContainersDirectory))
        {
            try
            {
                rotated += KeepRotatedLog(bundle) ? 1 : 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A container removed meanwhile; the next pass looks again.
            }
        }
        return rotated;
    }

    private static bool KeepRotatedLog(string bundle)
    {
        string log = Path.Combine(bundle, LogFileName);
        string keep = log + KeepSuffix;
        // The common case, two stats: the kept link is still the current file.
        if (Inode(log) is not ulong current || Inode(keep) is var kept && kept == current)
        {
            return false;
        }
        LogLimits limits = ReadLogLimits(bundle);
        if (limits.MaxFiles <= 1)
        {
            return false;
        }
        if (kept is not null)
        {
            File.Delete(Rotated(log, limits.MaxFiles - 1));
            for (int i = limits.MaxFiles - 2; i >= 1; i--)
            {
                if (File.Exists(Rotated(log, i)))
                {
                    File.Move(Rotated(log, i), Rotated(log, i + 1), overwrite: true);
                }
            }
            File.Move(keep, Rotated(log, 1), overwrite: true);
        }
        if (Appliance.Netfilter.Linux.LinuxNative.link(log, keep) != 0 && Marshal.GetLastPInvokeError() is int errno && errno != 17 /* EEXIST */)
        {
            throw new IOException($"link '{keep}' -> '{log}' failed: errno {errno}");
        }
        return kept is not null;
    }

    private static string Rotated(string log, int n) => $"{log}.{n}";

    /// <summary>The log files of a container, oldest first: rotated ones, the kept previous one (if not rotated yet), the current one.</summary>
    private static List<string> LogFilesOf(string bundle)
    {
        string log = Path.Combine(bundle, LogFileName);
        List<string> files = [.. Directory.EnumerateFiles(bundle, LogFileName + ".*")
            .Select(f => (File: f, N: int.TryParse(Path.GetExtension(f).AsSpan(1), out int n) ? n : 0))
            .Where(x => x.N > 0).OrderByDescending(x => x.N).Select(x => x.File)];
        if (Inode(log + KeepSuffix) is ulong kept && kept != Inode(log))
        {
            files.Add(log + KeepSuffix);
        }
        files.Add(log);
        return files;
    }

    private static unsafe ulong InodeOf(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        Tmds.Linux.stat st;
        return Tmds.Linux.LibC.fstat((int)handle.DangerousGetHandle(), &st) == 0 ? (ulong)st.st_ino : 0;
    }

    internal static unsafe ulong? Inode(string path)
    {
        Tmds.Linux.stat st;
        byte[] bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            return Tmds.Linux.LibC.stat(p, &st) == 0 ? (ulong)st.st_ino : null;
        }
    }
}
