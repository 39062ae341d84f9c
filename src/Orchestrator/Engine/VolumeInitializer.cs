using System.Runtime.InteropServices;
using System.Text;
using Appliance.Orchestrator.Images;

namespace Appliance.Orchestrator.Engine;

/// <summary>
/// A new named volume starts with what the image has at the mount point (as Docker does):
/// files, directories and symlinks copied with their modes and owners, so e.g. PostgreSQL
/// running as uid 999 owns its data directory.
/// </summary>
internal static class VolumeInitializer
{
    public static void CopyUp(string source, string target)
    {
        Directory.CreateDirectory(target);
        if (!Directory.Exists(source))
        {
            return;
        }
        CopyAttributes(source, target);
        foreach (FileSystemInfo entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            string to = Path.Combine(target, entry.Name);
            if (entry.LinkTarget is { } link)
            {
                File.CreateSymbolicLink(to, link);
                (int uid, int gid) = Owner(entry.FullName);
                NativeFiles.ChangeOwner(to, uid, gid);
            }
            else if (entry is DirectoryInfo)
            {
                CopyUp(entry.FullName, to);
            }
            else if (entry is FileInfo file && (file.Attributes & FileAttributes.Device) == 0)
            {
                File.Copy(entry.FullName, to);
                CopyAttributes(entry.FullName, to);
            }
        }
    }

    private static void CopyAttributes(string from, string to)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("volumes are initialized on Linux only");
        }
        (int uid, int gid) = Owner(from);
        NativeFiles.ChangeOwner(to, uid, gid);
        File.SetUnixFileMode(to, File.GetUnixFileMode(from));
    }

    private static unsafe (int Uid, int Gid) Owner(string path)
    {
        Tmds.Linux.stat st;
        byte[] bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            if (Tmds.Linux.LibC.lstat(p, &st) != 0)
            {
                throw new IOException($"lstat '{path}' failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        return ((int)(uint)st.st_uid, (int)(uint)st.st_gid);
    }
}
