using System.Runtime.InteropServices;
using System.Text;
using Appliance.Netfilter.Linux;

namespace Appliance.Orchestrator.Images;

/// <summary>Checked wrappers over the libc calls the store needs (<see cref="LinuxNative"/>): throw with the operation, path and errno.</summary>
internal static class NativeFiles
{
    public static void HardLink(string target, string path) =>
        Check(LinuxNative.link(target, path), $"link '{path}' -> '{target}'");

    public static void MakeNode(string path, uint typeBits, UnixFileMode mode, uint major, uint minor) =>
        Check(LinuxNative.mknod(path, typeBits | ((uint)mode & 0xfff), LinuxNative.MakeDev(major, minor)), $"mknod '{path}'");

    public static void ChangeOwner(string path, int uid, int gid) =>
        Check(LinuxNative.lchown(path, (uint)uid, (uint)gid), $"lchown '{path}' to {uid}:{gid}");

    /// <summary>
    /// Creates a new file (fails if it exists) with open(2) directly: none of the extra fstat,
    /// fstatfs, flock and lseek calls File.OpenHandle makes, which add up over thousands of files.
    /// </summary>
    public static Microsoft.Win32.SafeHandles.SafeFileHandle CreateNew(string path, UnixFileMode mode)
    {
        int fd;
        do
        {
            fd = LinuxNative.open_create(path, LinuxNative.O_WRONLY | LinuxNative.O_CREAT | LinuxNative.O_EXCL | LinuxNative.O_CLOEXEC, (uint)mode & 0xfff);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == 4 /* EINTR */);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new ImageStorageException($"create '{path}' failed: {LinuxNative.ErrnoText(errno)}", errno);
        }
        return new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
    }

    public static void ChangeOwner(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path, int uid, int gid) =>
        WithFd(handle, fd => Check(LinuxNative.fchown(fd, (uint)uid, (uint)gid), $"fchown '{path}' to {uid}:{gid}"));

    /// <summary>
    /// Sets the modification time only, with one futimens(2): File.SetLastWriteTimeUtc first stats the file to keep its
    /// access time, one more call per file of a layer.
    /// </summary>
    public static void SetModificationTime(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path, DateTimeOffset time)
    {
        long ticks = time.UtcTicks - DateTime.UnixEpoch.Ticks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long rest);
        if (rest < 0)
        {
            seconds--;
            rest += TimeSpan.TicksPerSecond;
        }
        WithFd(handle, fd => Check(LinuxNative.futimens(fd, [0, LinuxNative.UTIME_OMIT, seconds, rest * 100]), $"futimens '{path}'"));
    }

    private static void WithFd(Microsoft.Win32.SafeHandles.SafeFileHandle handle, Action<int> call)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            call((int)handle.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    public static void SetXattr(string path, string name, ReadOnlySpan<byte> value) =>
        Check(LinuxNative.lsetxattr(path, name, value, (nuint)value.Length, 0), $"setxattr {name} on '{path}'");

    public static void SetXattr(string path, string name, string value) => SetXattr(path, name, Encoding.UTF8.GetBytes(value));

    public static void MountOverlay(string target, string options)
    {
        int result = LinuxNative.mount("overlay", target, "overlay", 0, options);
        Check(result, $"mount overlay on '{target}' ({options.Length} bytes of options)");
    }

    /// <summary>Unmounts; a busy mount is detached (lazy) instead. Not mounted is not an error.</summary>
    public static void Unmount(string target)
    {
        if (LinuxNative.umount2(target, 0) == 0)
        {
            return;
        }
        int errno = Marshal.GetLastPInvokeError();
        if (errno == 22 /* EINVAL: not a mount point */ || errno == 2 /* ENOENT */)
        {
            return;
        }
        if (errno == 16 /* EBUSY */)
        {
            Check(LinuxNative.umount2(target, LinuxNative.MNT_DETACH), $"umount (detach) '{target}'");
            return;
        }
        throw new ImageStorageException($"umount '{target}' failed: {LinuxNative.ErrnoText(errno)}", errno);
    }

    private static void Check(int result, string what)
    {
        if (result != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new ImageStorageException($"{what} failed: {LinuxNative.ErrnoText(errno)}", errno);
        }
    }
}
