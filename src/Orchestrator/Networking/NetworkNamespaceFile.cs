using System.Runtime.InteropServices;
using Appliance.Netfilter.Linux;

namespace Appliance.Orchestrator.Networking;

/// <summary>
/// Network namespaces Appliance creates for its containers, kept alive by a bind mount of the
/// namespace onto a file (iproute2 does the same under /run/netns). runc joins them by path.
/// Creating: a dedicated thread unshares CLONE_NEWNET and bind-mounts /proc/thread-self/ns/net
/// onto the file, then ends (no pooled thread ever changes namespace). Removing: unmount
/// (lazily) and delete the file; the kernel frees the namespace, and the veth peers in it,
/// once nothing else holds it.
/// </summary>
public static class NetworkNamespaceFile
{
    private const int EEXIST = 17;
    private const int EINVAL = 22;
    private const int ENOENT = 2;

    /// <summary>Creates a new, empty network namespace (loopback down) bound at <paramref name="path"/>.</summary>
    public static Task<NetworkNamespace> CreateAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        cancellationToken.ThrowIfCancellationRequested();
        string fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        try
        {
            using (new FileStream(fullPath, FileMode.CreateNew, FileAccess.Write)) { }
        }
        catch (IOException e) when (File.Exists(fullPath))
        {
            throw new NamespaceException($"creating network namespace '{fullPath}' failed: {LinuxNative.ErrnoText(EEXIST)}; remove it first or pick another name", EEXIST, e);
        }
        var done = new TaskCompletionSource<NetworkNamespace>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                if (LinuxNative.unshare(LinuxNative.CLONE_NEWNET) != 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    throw new NamespaceException($"unshare(CLONE_NEWNET) for '{fullPath}' failed: {LinuxNative.ErrnoText(errno)}", errno);
                }
                if (LinuxNative.mount("/proc/thread-self/ns/net", fullPath, "none", LinuxNative.MS_BIND, IntPtr.Zero) != 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    throw new NamespaceException($"bind-mounting the new network namespace onto '{fullPath}' failed: {LinuxNative.ErrnoText(errno)}", errno);
                }
                done.SetResult(new NetworkNamespace(fullPath));
            }
            catch (Exception e)
            {
                TryDelete(fullPath);
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = $"create netns {fullPath}",
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>Unmounts and deletes a namespace file; a missing or already-unmounted file is fine.</summary>
    public static Task RemoveAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        cancellationToken.ThrowIfCancellationRequested();
        string fullPath = Path.GetFullPath(path);
        if (LinuxNative.umount2(fullPath, LinuxNative.MNT_DETACH) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            // EINVAL: not a mount point (never bound, or unmounted already); ENOENT: no file.
            if (errno is not (EINVAL or ENOENT))
            {
                throw new NamespaceException($"unmounting network namespace '{fullPath}' failed: {LinuxNative.ErrnoText(errno)}", errno);
            }
        }
        try
        {
            File.Delete(fullPath);
        }
        catch (DirectoryNotFoundException)
        {
            // its directory is gone too (the run directory is volatile: a reboot empties it)
        }
        catch (IOException e)
        {
            throw new NamespaceException($"deleting network namespace file '{fullPath}' failed: {e.Message}", 0, e);
        }
        return Task.CompletedTask;
    }

    /// <summary>Whether <paramref name="path"/> is a bound namespace (a mount point listed in /proc/self/mountinfo).</summary>
    public static bool IsMounted(string path)
    {
        string fullPath = Path.GetFullPath(path);
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            string[] fields = line.Split(' ');
            if (fields.Length > 4 && Unescape(fields[4]) == fullPath)
            {
                return true;
            }
        }
        return false;
    }

    private static string Unescape(string field) =>
        field.Replace("\\040", " ").Replace("\\011", "\t").Replace("\\012", "\n").Replace("\\134", "\\");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The creation error is what matters; a leftover empty file is harmless and reported by LeakGuard.
        }
    }
}
