using System.Runtime.InteropServices;

namespace Appliance.Netfilter.Linux;

/// <summary>The few libc calls for namespaces that Tmds.LibC does not wrap. C names, raw results:
/// callers go through <see cref="NetworkNamespace"/>, which checks errno and throws.</summary>
internal static partial class LinuxNative
{
    public const int CLONE_NEWNET = 0x40000000;
    public const int CLONE_NEWNS = 0x00020000;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setns(int fd, int nstype);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int unshare(int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int gettid();

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string? source, string target, string? fstype, ulong flags, IntPtr data);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);

    public const ulong MS_BIND = 4096;
    public const int MNT_DETACH = 2;

    // Files the image store unpacks: hard links, device nodes (overlay whiteouts), owners, xattrs.

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int link(string oldpath, string newpath);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mknod(string pathname, uint mode, ulong dev);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int lchown(string pathname, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open_create(string pathname, int flags, uint mode);

    public const int O_WRONLY = 0x1;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_CLOEXEC = 0x80000;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fchown(SafeHandle fd, uint owner, uint group);

    /// <summary>times: two struct timespec {tv_sec, tv_nsec} (access, modification), as four longs.</summary>
    [LibraryImport("libc", SetLastError = true)]
    public static partial int futimens(SafeHandle fd, ReadOnlySpan<long> times);

    /// <summary>tv_nsec that leaves a time as it is.</summary>
    public const long UTIME_OMIT = (1L << 30) - 2;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int lsetxattr(string path, string name, ReadOnlySpan<byte> value, nuint size, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string source, string target, string fstype, ulong flags, string data);

    /// <summary>buf: a struct statfs (at most 120 bytes); its first field, f_type, is a C long.</summary>
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statfs(string path, Span<byte> buf);

    public const ulong MS_RDONLY = 1;

    public const uint S_IFCHR = 0x2000;
    public const uint S_IFBLK = 0x6000;
    public const uint S_IFIFO = 0x1000;

    /// <summary>glibc's makedev.</summary>
    public static ulong MakeDev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    [LibraryImport("libc")]
    private static partial IntPtr strerror(int errnum);

    /// <summary>"No such file or directory (ENOENT)" for an errno.</summary>
    public static string ErrnoText(int errno)
    {
        string text = Marshal.PtrToStringUTF8(strerror(errno)) ?? $"errno {errno}";
        return ErrnoNames.TryGetValue(errno, out string? name) ? $"{text} ({name})" : $"{text} (errno {errno})";
    }

    private static readonly Dictionary<int, string> ErrnoNames = new()
    {
        [1] = "EPERM", [2] = "ENOENT", [3] = "ESRCH", [4] = "EINTR", [5] = "EIO", [9] = "EBADF",
        [11] = "EAGAIN", [12] = "ENOMEM", [13] = "EACCES", [16] = "EBUSY", [17] = "EEXIST",
        [19] = "ENODEV", [20] = "ENOTDIR", [22] = "EINVAL", [28] = "ENOSPC", [34] = "ERANGE",
        [95] = "EOPNOTSUPP", [98] = "EADDRINUSE", [99] = "EADDRNOTAVAIL", [105] = "ENOBUFS",
        [110] = "ETIMEDOUT", [111] = "ECONNREFUSED",
    };
}
