using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;

namespace Appliance.Netfilter.Linux;

/// <summary>
/// A network namespace, named by the path of its nsfs file (<c>/run/netns/NAME</c>,
/// <c>/proc/PID/ns/net</c>). Work that must happen inside it (opening a netlink socket, an nft
/// context, a listening socket) runs on a dedicated thread that has joined it with setns and
/// ends afterwards, so no pooled thread ever changes namespace. A socket opened there stays
/// bound to that namespace and may then be used from any thread.
/// </summary>
public sealed class NetworkNamespace
{
    /// <summary>The machine's own namespace as seen by this process (the product's default target).</summary>
    public static NetworkNamespace Current { get; } = new("/proc/self/ns/net");

    public NetworkNamespace(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
    }

    /// <summary>The namespace named NAME by iproute2's convention: /run/netns/NAME.</summary>
    public static NetworkNamespace Named(string name) => new($"/run/netns/{name}");

    public string Path { get; }

    public bool IsCurrent => Path == Current.Path;

    /// <summary>Runs <paramref name="work"/> on a fresh thread inside this namespace.</summary>
    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                if (!IsCurrent)
                {
                    Enter();
                }
                done.SetResult(work());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = $"netns {Path}",
        };
        thread.Start();
        return done.Task.WaitAsync(cancellationToken);
    }

    public Task RunAsync(Action work, CancellationToken cancellationToken = default) =>
        RunAsync(() => { work(); return true; }, cancellationToken);

    /// <summary>Joins this namespace on the calling thread. Only for threads that end afterwards.</summary>
    internal void Enter()
    {
        using SafeFileHandle handle = OpenHandle();
        if (LinuxNative.setns((int)handle.DangerousGetHandle(), LinuxNative.CLONE_NEWNET) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new NamespaceException($"setns into network namespace '{Path}' failed: {LinuxNative.ErrnoText(errno)}", errno);
        }
    }

    private SafeFileHandle OpenHandle()
    {
        try
        {
            return File.OpenHandle(Path, FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NamespaceException($"network namespace '{Path}' does not exist: No such file or directory (ENOENT)", 2, e);
        }
    }

    public override string ToString() => Path;
}

/// <summary>A namespace could not be opened, entered, created or removed.</summary>
public sealed class NamespaceException : Exception
{
    public NamespaceException(string message, int errno, Exception? inner = null) : base(message, inner) => Errno = errno;

    public int Errno { get; }
}
