using System.Formats.Tar;

namespace Appliance.Orchestrator.Images;

/// <summary>
/// Unpacks one layer tar into an empty directory, as overlayfs wants a lower layer: whiteouts
/// (<c>.wh.NAME</c>) become 0/0 character devices, opaque markers (<c>.wh..wh..opq</c>) the
/// <c>trusted.overlay.opaque=y</c> xattr on their directory. Keeps hard links, symlinks, device
/// nodes, owners, modes, mtimes and PAX xattrs. Refuses any entry that would land outside the
/// directory: an absolute name, a <c>..</c> component, or a path through a symlink of the layer
/// (a symlink is never followed while unpacking). The caller deletes the directory on failure.
/// </summary>
internal sealed class LayerUnpacker
{
    internal const string WhiteoutPrefix = ".wh.";
    internal const string OpaqueMarker = ".wh..wh..opq";

    private readonly string _root;
    private readonly string _layer;
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal) { "" };
    private readonly HashSet<string> _symlinks = new(StringComparer.Ordinal);
    private readonly HashSet<string> _files = new(StringComparer.Ordinal);
    /// <summary>Files up to this size are read whole and written by <see cref="_writers"/>.</summary>
    private const int SmallFileSize = 64 * 1024;
    private readonly List<(string Path, DateTimeOffset Time)> _directoryTimes = new();
    /// <summary>Threads creating a layer's small files while it is read on (measured: 2 is ~10 % faster than none).</summary>
    private const int Writers = 2;
    private static readonly bool IsRoot = Environment.IsPrivilegedProcess;
    /// <summary>What open(O_CREAT) gives a new file: 0666 minus the process umask (read once); null if unknown.</summary>
    private static readonly UnixFileMode? CreatedFileMode = ReadCreatedFileMode();
    private readonly SmallFileWriters _writers = new(Writers);

    public LayerUnpacker(string root, string layer)
    {
        _root = root;
        _layer = layer;
    }

    public int Entries { get; private set; }

    public async Task UnpackAsync(Stream tar, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_root);
        await using var reader = new TarReader(tar, leaveOpen: true);
        try
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is TarEntry entry)
            {
                await ExtractAsync(entry, cancellationToken);
                Entries++;
            }
            await _writers.DrainAsync();
        }
        catch
        {
            await StopWritersAsync(); // before the caller deletes the directory
            throw;
        }
        // Directory times last: creating their children changed them.
        foreach ((string path, DateTimeOffset time) in _directoryTimes)
        {
            Directory.SetLastWriteTimeUtc(path, time.UtcDateTime);
        }
    }

    /// <summary>Lets the writers finish before the caller deletes the directory; their own error is not the first one.</summary>
    private async Task StopWritersAsync()
    {
        try
        {
            await _writers.DrainAsync();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageStorageException)
        {
            // the error being thrown is what the pull reports
        }
    }

    private async Task ExtractAsync(TarEntry entry, CancellationToken cancellationToken)
    {
        string relative = Normalize(entry.Name, entry.Name);
        if (relative.Length == 0)
        {
            // "./": the layer's root directory itself
            if (entry.EntryType == TarEntryType.Directory)
            {
                ApplyMetadata(_root, entry);
            }
            return;
        }
        int slash = relative.LastIndexOf('/');
        string parent = slash < 0 ? "" : relative[..slash];
        string name = slash < 0 ? relative : relative[(slash + 1)..];
        EnsureParent(parent, entry.Name);
        string parentPath = parent.Length == 0 ? _root : Path.Combine(_root, parent);

        if (name == OpaqueMarker)
        {
            NativeFiles.SetXattr(parentPath, "trusted.overlay.opaque", "y");
            return;
        }
        if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            string hidden = name[WhiteoutPrefix.Length..];
            if (hidden.Length == 0 || hidden is "." or "..")
            {
                throw new UnsafeLayerException(_layer, entry.Name, "a whiteout must name a file");
            }
            string whiteout = Path.Combine(parentPath, hidden);
            string hiddenRelative = parent.Length == 0 ? hidden : parent + "/" + hidden;
            await RemoveExistingAsync(hiddenRelative, whiteout);
            NativeFiles.MakeNode(whiteout, Netfilter.Linux.LinuxNative.S_IFCHR, 0, 0, 0);
            _files.Add(hiddenRelative);
            return;
        }

        string path = Path.Combine(_root, relative);
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                if (!_directories.Contains(relative))
                {
                    await RemoveExistingAsync(relative, path);
                    Directory.CreateDirectory(path);
                    _directories.Add(relative);
                }
                ApplyMetadata(path, entry);
                _directoryTimes.Add((path, entry.ModificationTime));
                break;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                await RemoveExistingAsync(relative, path);
                _files.Add(relative);
                if (entry.Length <= SmallFileSize)
                {
                    await QueueSmallFileAsync(path, entry, cancellationToken);
                    return; // its xattrs go with it
                }
                await WriteBigFileAsync(path, entry, cancellationToken);
                break;
            case TarEntryType.SymbolicLink:
                await RemoveExistingAsync(relative, path);
                File.CreateSymbolicLink(path, entry.LinkName);
                _symlinks.Add(relative);
                NativeFiles.ChangeOwner(path, entry.Uid, entry.Gid);
                break;
            case TarEntryType.HardLink:
            {
                string target = Normalize(entry.LinkName, entry.Name);
                if (target.Length == 0 || _directories.Contains(target))
                {
                    throw new UnsafeLayerException(_layer, entry.Name, $"hard link to '{entry.LinkName}', which is not a file of this layer");
                }
                int targetSlash = target.LastIndexOf('/');
                CheckNoSymlinkOnPath(targetSlash < 0 ? "" : target[..targetSlash], entry.Name);
                string targetPath = Path.Combine(_root, target);
                if (!_files.Contains(target) && !_symlinks.Contains(target))
                {
                    throw new UnsafeLayerException(_layer, entry.Name, $"hard link to '{entry.LinkName}', which comes later or not at all in this layer");
                }
                await RemoveExistingAsync(relative, path);
                await _writers.DrainAsync(); // the target may still be queued
                NativeFiles.HardLink(targetPath, path);
                (_symlinks.Contains(target) ? _symlinks : _files).Add(relative);
                break;
            }
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                await RemoveExistingAsync(relative, path);
                uint type = entry.EntryType switch
                {
                    TarEntryType.CharacterDevice => Netfilter.Linux.LinuxNative.S_IFCHR,
                    TarEntryType.BlockDevice => Netfilter.Linux.LinuxNative.S_IFBLK,
                    _ => Netfilter.Linux.LinuxNative.S_IFIFO,
                };
                var posix = (PosixTarEntry)entry;
                NativeFiles.MakeNode(path, type, entry.Mode, (uint)posix.DeviceMajor, (uint)posix.DeviceMinor);
                _files.Add(relative);
                ApplyMetadata(path, entry);
                break;
            default:
                throw new UnsafeLayerException(_layer, entry.Name, $"entry type {entry.EntryType} is not supported in a layer");
        }
        if (entry.EntryType != TarEntryType.SymbolicLink)
        {
            foreach ((string xattr, string value) in Xattrs(entry) ?? [])
            {
                NativeFiles.SetXattr(path, xattr, value);
            }
        }
    }

    /// <summary>The entry's extended attributes (PAX <c>SCHILY.xattr.NAME</c> records), null if none.</summary>
    internal static List<KeyValuePair<string, string>>? Xattrs(TarEntry entry)
    {
        List<KeyValuePair<string, string>>? xattrs = null;
        if (entry is PaxTarEntry pax)
        {
            foreach ((string key, string value) in pax.ExtendedAttributes)
            {
                if (key.StartsWith("SCHILY.xattr.", StringComparison.Ordinal))
                {
                    (xattrs ??= []).Add(new(key["SCHILY.xattr.".Length..], value));
                }
            }
        }
        return xattrs;
    }

    private string Normalize(string name, string entryName) => Normalize(_layer, name, entryName);

    /// <summary>"./a//b/" -> "a/b"; refuses absolute names and ".." (<paramref name="layer"/> names the layer in the error).</summary>
    internal static string Normalize(string layer, string name, string entryName)
    {
        if (name.Contains('\0'))
        {
            throw new UnsafeLayerException(layer, entryName, "the name contains a NUL byte");
        }
        if (name.StartsWith('/'))
        {
            throw new UnsafeLayerException(layer, entryName, "absolute paths are not allowed in a layer (it would write outside its directory)");
        }
        var parts = new List<string>();
        foreach (string part in name.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                throw new UnsafeLayerException(layer, entryName, "'..' would climb out of the layer's directory");
            }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    /// <summary>Creates missing parents (0755, root) and refuses a path through a symlink.</summary>
    private void EnsureParent(string parent, string entryName)
    {
        if (_directories.Contains(parent))
        {
            return;
        }
        CheckNoSymlinkOnPath(parent, entryName);
        string sofar = "";
        foreach (string part in parent.Split('/'))
        {
            sofar = sofar.Length == 0 ? part : sofar + "/" + part;
            if (_directories.Contains(sofar))
            {
                continue;
            }
            string path = Path.Combine(_root, sofar);
            if (_files.Contains(sofar))
            {
                throw new UnsafeLayerException(_layer, entryName, $"'{sofar}' is a file of this layer, not a directory");
            }
            Directory.CreateDirectory(path);
            _directories.Add(sofar);
        }
    }

    private void CheckNoSymlinkOnPath(string directory, string entryName)
    {
        if (directory.Length == 0 || _symlinks.Count == 0)
        {
            return;
        }
        string sofar = "";
        foreach (string part in directory.Split('/'))
        {
            sofar = sofar.Length == 0 ? part : sofar + "/" + part;
            if (_symlinks.Contains(sofar))
            {
                throw new UnsafeLayerException(_layer, entryName, $"the path goes through the symbolic link '{sofar}' (it could point outside the layer)");
            }
        }
    }

    /// <summary>An entry replaces what an earlier entry of the same name made.</summary>
    private async Task RemoveExistingAsync(string relative, string path)
    {
        if (_symlinks.Contains(relative) || _directories.Contains(relative) || _files.Contains(relative))
        {
            await _writers.DrainAsync(); // it (or a file under it) may still be queued
        }
        if (_symlinks.Remove(relative))
        {
            File.Delete(path);
            return;
        }
        if (_directories.Contains(relative))
        {
            Directory.Delete(path, recursive: true);
            _directories.RemoveWhere(d => d == relative || d.StartsWith(relative + "/", StringComparison.Ordinal));
            _symlinks.RemoveWhere(d => d.StartsWith(relative + "/", StringComparison.Ordinal));
            return;
        }
        if (_files.Remove(relative))
        {
            File.Delete(path);
        }
        // otherwise nothing is there: the layer's directory started empty and only we write to it
    }

    /// <summary>Reads a small file whole and hands it to the writers.</summary>
    private async Task QueueSmallFileAsync(string path, TarEntry entry, CancellationToken cancellationToken)
    {
        int length = (int)entry.Length;
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            if (entry.DataStream is Stream data && length > 0)
            {
                await data.ReadExactlyAsync(buffer.AsMemory(0, length), cancellationToken);
            }
        }
        catch
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        await _writers.EnqueueAsync(new SmallFile(path, buffer, length, entry.Mode, entry.Uid, entry.Gid, entry.ModificationTime, Xattrs(entry)),
            cancellationToken);
    }

    /// <summary>A big file on this thread, in chunks: the kernel's write of one chunk overlaps decompressing the next.</summary>
    private static async Task WriteBigFileAsync(string path, TarEntry entry, CancellationToken cancellationToken)
    {
        using Microsoft.Win32.SafeHandles.SafeFileHandle handle = CreateFile(path, entry.Mode);
        if (entry.DataStream is Stream data)
        {
            byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                long offset = 0;
                int read;
                while ((read = await data.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    await RandomAccess.WriteAsync(handle, buffer.AsMemory(0, read), offset, cancellationToken);
                    offset += read;
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        SetFileMetadata(handle, path, entry.Mode, entry.Uid, entry.Gid, entry.ModificationTime);
    }

    private static void ApplyMetadata(string path, TarEntry entry)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("image layers are unpacked on Linux only");
        }
        NativeFiles.ChangeOwner(path, entry.Uid, entry.Gid);
        // after chown, which clears set-uid/set-gid bits
        File.SetUnixFileMode(path, entry.Mode);
    }

    internal static Microsoft.Win32.SafeHandles.SafeFileHandle CreateFile(string path, UnixFileMode mode) => NativeFiles.CreateNew(path, mode & (UnixFileMode)0x1ff);

    /// <summary>
    /// Owner, mode and time of a regular file by fd (fchown, fchmod, futimens), skipping what creation already got right
    /// (root-owned, 0644).
    /// </summary>
    internal static void SetFileMetadata(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path, UnixFileMode mode, int uid, int gid, DateTimeOffset modificationTime)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("image layers are unpacked on Linux only");
        }
        if (uid != 0 || gid != 0 || !IsRoot)
        {
            NativeFiles.ChangeOwner(handle, path, uid, gid);
        }
        if (CreatedFileMode is not UnixFileMode created || mode != created || uid != 0 || gid != 0)
        {
            // after chown, which clears set-uid/set-gid bits
            File.SetUnixFileMode(handle, mode);
        }
        NativeFiles.SetModificationTime(handle, path, modificationTime);
    }

    private static UnixFileMode? ReadCreatedFileMode()
    {
        try
        {
            string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Umask:", StringComparison.Ordinal));
            return line is null ? null : (UnixFileMode)(0x1b6 & ~Convert.ToInt32(line["Umask:".Length..].Trim(), 8));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
