using System.Runtime.InteropServices;

namespace Appliance.TestSupport;

/// <summary>Mounts a test left under its own directories (a store's layer images, root filesystems).</summary>
public static class Mounts
{
    /// <summary>Detaches every mount at or under <paramref name="directory"/>, deepest first, so the directory can be deleted.</summary>
    public static void DetachUnder(string directory)
    {
        string root = Path.GetFullPath(directory).TrimEnd('/');
        IEnumerable<string> mounts = File.ReadAllLines("/proc/self/mountinfo")
            .Select(line => line.Split(' ')[4].Replace("\\040", " ", StringComparison.Ordinal))
            .Where(m => m == root || m.StartsWith(root + "/", StringComparison.Ordinal))
            .Distinct()
            .OrderByDescending(m => m.Length);
        foreach (string mount in mounts)
        {
            // Stacked mounts on one point come off one by one.
            while (umount2(mount, MNT_DETACH) == 0)
            {
            }
        }
    }

    private const int MNT_DETACH = 2;

    [DllImport("libc", SetLastError = true)]
    private static extern int umount2(string target, int flags);
}
