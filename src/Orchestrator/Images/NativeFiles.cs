using System.Runtime.InteropServices;
using System.Text;
using Appliance.Netfilter.Linux;

namespace Appliance.Orchestrator.Images;

/// <summary>
/// Checked wrappers over the libc calls the store needs (<see cref="LinuxNative"/>): throw with the operation, path and errno.
/// The message is only formatted when a call fails: most of these run once per file of a layer.
/// </summary>
internal static class NativeFiles
{
    public static void HardLink(string target, string path)
    {
        if (LinuxNative.link(target, path) != 0)
        {
            throw Failure($"link '{path}' -> '{target}'");
        }
    }

    public static void MakeNode(string path, uint typeBits, UnixFileMode mode, uint major, uint minor)
    {
        if (LinuxNative.mknod(path, typeBits | ((uint)mode & 0xfff), LinuxNative.MakeDev(major, minor)) != 0)
        {
            throw Failure($"mknod '{path}'");
        }
    }

    public static void ChangeOwner(string path, int uid, int gid)
    {
        if (LinuxNative.lchown(path, (uint)uid, (uint)gid) != 0)
        {
            throw Failure($"lchown '{path}' to {uid}:{gid}");
        }
    }

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
            throw Failure($"create '{path}'");
        }
        return new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
    }

    public static void ChangeOwner(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path, int uid, int gid)
    {
        if (LinuxNative.fchown(handle, (uint)uid, (uint)gid) != 0)
        {
            throw Failure($"fchown '{path}' to {uid}:{gid}");
        }
    }

    /// <summary>
    /// Sets the modification time only, with one futimens(2): File.SetLastWriteTimeUtc first stats the file to keep its
    /// access time, one more call per file of a layer.
    /// </summary>
    public static void SetModificationTime(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path, DateTimeOffset time)
    {
        (long seconds, long nanoseconds) = UnixTime(time);
        if (LinuxNative.futimens(handle, [0, LinuxNative.UTIME_OMIT, seconds, nanoseconds]) != 0)
        {
            throw Failure($"futimens '{path}'");
        }
    }

    /// <summary>A time as a struct timespec: seconds since 1970 and nanoseconds (0-999,999,999, also before 1970).</summary>
    public static (long Seconds, long Nanoseconds) UnixTime(DateTimeOffset time)
    {
        long seconds = Math.DivRem(time.UtcTicks - DateTime.UnixEpoch.Ticks, TimeSpan.TicksPerSecond, out long rest);
        return rest < 0 ? (seconds - 1, (rest + TimeSpan.TicksPerSecond) * 100) : (seconds, rest * 100);
    }

    public static void SetXattr(string path, string name, ReadOnlySpan<byte> value)
    {
        if (LinuxNative.lsetxattr(path, name, value, (nuint)value.Length, 0) != 0)
        {
            throw Failure($"setxattr {name} on '{path}'");
        }
    }

    public static void SetXattr(string path, string name, string value) => SetXattr(path, name, Encoding.UTF8.GetBytes(value));

    public static void MountOverlay(string target, string options)
    {
        if (LinuxNative.mount("overlay", target, "overlay", 0, options) != 0)
        {
            throw Failure($"mount overlay on '{target}' ({options.Length} bytes of options)");
        }
    }

    /// <summary>Mounts an EROFS image file read-only (the kernel reads the file itself: Linux 6.12 and later).</summary>
    public static void MountErofs(string image, string target)
    {
        if (LinuxNative.mount(image, target, "erofs", LinuxNative.MS_RDONLY, "") != 0)
        {
            throw Failure($"mount erofs '{image}' on '{target}'");
        }
    }

    /// <summary>The magic number of the file system <paramref name="path"/> is on (statfs f_type).</summary>
    public static long FileSystemType(string path)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (LinuxNative.statfs(path, buffer) != 0)
        {
            throw Failure($"statfs '{path}'");
        }
        return IntPtr.Size == 8 ? MemoryMarshal.Read<long>(buffer) & 0xffffffffL
            : MemoryMarshal.Read<uint>(buffer);
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
            if (LinuxNative.umount2(target, LinuxNative.MNT_DETACH) != 0)
            {
                throw Failure($"umount (detach) '{target}'");
            }
            return;
        }
        throw new ImageStorageException($"umount '{target}' failed: {LinuxNative.ErrnoText(errno)}", errno);
    }

    /// <summary>The failure of the libc call just made (its errno), naming what was done.</summary>
    private static ImageStorageException Failure(string what)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new ImageStorageException($"{what} failed: {LinuxNative.ErrnoText(errno)}", errno);
    }
}
