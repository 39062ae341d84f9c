namespace Appliance.Orchestrator.Runtime;

/// <summary>
/// Checks mounts before they reach runc: targets are absolute without '..'; bind sources are
/// absolute, exist, contain no '..', and neither they nor what their symlinks resolve to are a
/// system directory of the host (/, /etc, /proc, /sys, /dev, /boot, /usr, /bin, /sbin, /lib*, /run, /var/run).
/// </summary>
public static class MountValidator
{
    private static readonly string[] SystemDirectories =
        ["/etc", "/proc", "/sys", "/dev", "/boot", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/run", "/var/run", "/root"];

    /// <summary>Adds one message per problem; returns the mounts with bind sources resolved to their real paths.</summary>
    public static IReadOnlyList<ContainerMount> Validate(IReadOnlyList<ContainerMount> mounts, List<string> problems)
    {
        var result = new List<ContainerMount>();
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (ContainerMount mount in mounts)
        {
            string where = $"mount '{mount.Source}' -> '{mount.Target}'";
            if (!IsCleanAbsolute(mount.Target))
            {
                problems.Add($"{where}: the target must be an absolute path inside the container without '..', e.g. /var/lib/data");
                continue;
            }
            if (!targets.Add(mount.Target.TrimEnd('/')))
            {
                problems.Add($"{where}: '{mount.Target}' is mounted twice; keep one");
                continue;
            }
            if (mount.Kind == MountKind.Tmpfs)
            {
                result.Add(mount);
                continue;
            }
            if (!IsCleanAbsolute(mount.Source))
            {
                problems.Add($"{where}: the source must be an absolute host path without '..'");
                continue;
            }
            if (!Directory.Exists(mount.Source) && !File.Exists(mount.Source))
            {
                problems.Add($"{where}: '{mount.Source}' does not exist on the host; create it or use a named volume");
                continue;
            }
            string real = RealPath(mount.Source);
            string? system = SystemDirectoryOf(real);
            if (system is not null)
            {
                string via = real == mount.Source.TrimEnd('/') ? "" : $" (it resolves to '{real}')";
                problems.Add($"{where}: '{mount.Source}'{via} is the host's system directory '{system}' or inside it; mount a directory of your own instead");
                continue;
            }
            result.Add(mount with { Source = real });
        }
        return result;
    }

    private static bool IsCleanAbsolute(string path) =>
        path.StartsWith('/') && !path.Split('/').Any(part => part == "..") && !path.Contains('\0');

    /// <summary>The path with every symlink along it resolved.</summary>
    internal static string RealPath(string path)
    {
        string current = "/";
        var pending = new Stack<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        int hops = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }
            string next = Path.Combine(current, part);
            var info = new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                if (++hops > 40)
                {
                    throw new IOException($"too many levels of symbolic links at '{next}'");
                }
                foreach (string p in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
                {
                    pending.Push(p);
                }
                if (target.StartsWith('/'))
                {
                    current = "/";
                }
                continue;
            }
            current = next;
        }
        return current;
    }

    private static string? SystemDirectoryOf(string real)
    {
        if (real == "/")
        {
            return "/";
        }
        foreach (string dir in SystemDirectories)
        {
            if (real == dir || real.StartsWith(dir + "/", StringComparison.Ordinal))
            {
                return dir;
            }
        }
        return null;
    }
}
