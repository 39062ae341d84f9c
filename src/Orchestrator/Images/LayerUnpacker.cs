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
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";

    private readonly string _root;
    private readonly string _layer;
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal) { "" };
    private readonly HashSet<string> _symlinks = new(StringComparer.Ordinal);
    private readonly HashSet<string> _files = new(StringComparer.Ordinal);
    private static readonly bool IsRoot = Environment.IsPrivilegedProcess;
    /// <summary>Files up to this size are read whole and written with one synchronous write.</summary>
    private const int SmallFile = 64 * 1024;
    /// <summary>What open(O_CREAT) gives a new file: 0666 minus the process umask (read once); null if unknown.</summary>
    private static readonly UnixFileMode? CreatedFileMode = ReadCreatedFileMode();
    private readonly List<(string Path, DateTimeOffset Time)> _directoryTimes = new();

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
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is TarEntry entry)
        {
            await ExtractAsync(entry, cancellationToken);
            Entries++;
        }
        // Directory times last: creating their children changed them.
        foreach ((string path, DateTimeOffset time) in _directoryTimes)
        {
            Directory.SetLastWriteTimeUtc(path, time.UtcDateTime);
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
            RemoveExisting(hiddenRelative, whiteout);
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
                    RemoveExisting(relative, path);
                    Directory.CreateDirectory(path);
                    _directories.Add(relative);
                }
                ApplyMetadata(path, entry);
                _directoryTimes.Add((path, entry.ModificationTime));
                break;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                RemoveExisting(relative, path);
                await WriteFileAsync(path, entry, cancellationToken);
                _files.Add(relative);
                break;
            case TarEntryType.SymbolicLink:
                RemoveExisting(relative, path);
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
                RemoveExisting(relative, path);
                NativeFiles.HardLink(targetPath, path);
                (_symlinks.Contains(target) ? _symlinks : _files).Add(relative);
                break;
            }
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                RemoveExisting(relative, path);
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
        if (entry is PaxTarEntry pax && entry.EntryType != TarEntryType.SymbolicLink)
        {
            foreach ((string key, string value) in pax.ExtendedAttributes)
            {
                if (key.StartsWith("SCHILY.xattr.", StringComparison.Ordinal))
                {
                    NativeFiles.SetXattr(path, key["SCHILY.xattr.".Length..], value);
                }
            }
        }
    }

    /// <summary>"./a//b/" -> "a/b"; refuses absolute names and "..".</summary>
    private string Normalize(string name, string entryName)
    {
        if (name.Contains('\0'))
        {
            throw new UnsafeLayerException(_layer, entryName, "the name contains a NUL byte");
        }
        if (name.StartsWith('/'))
        {
            throw new UnsafeLayerException(_layer, entryName, "absolute paths are not allowed in a layer (it would write outside its directory)");
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
                throw new UnsafeLayerException(_layer, entryName, "'..' would climb out of the layer's directory");
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
    private void RemoveExisting(string relative, string path)
    {
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

    /// <summary>
    /// One regular file through its handle: create, write, then owner, mode and time by fd
    /// (fchown, fchmod, futimens), skipping what creation already got right (root-owned, 0644).
    /// </summary>
    private static async Task WriteFileAsync(string path, TarEntry entry, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("image layers are unpacked on Linux only");
        }
        using Microsoft.Win32.SafeHandles.SafeFileHandle handle = NativeFiles.CreateNew(path, entry.Mode & (UnixFileMode)0x1ff);
        if (entry.DataStream is Stream data && entry.Length > 0)
        {
            byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(entry.Length, 1 << 20));
            try
            {
                if (entry.Length <= SmallFile)
                {
                    // Most files of an image: one read and one write on this thread. Handing a few KB to the thread
                    // pool's async write costs more than the write.
                    int length = await data.ReadAtLeastAsync(buffer.AsMemory(0, (int)entry.Length), (int)entry.Length, throwOnEndOfStream: true, cancellationToken);
                    RandomAccess.Write(handle, buffer.AsSpan(0, length), 0);
                }
                else
                {
                    // Big files: the kernel's write of one chunk overlaps decompressing the next.
                    long offset = 0;
                    int read;
                    while ((read = await data.ReadAsync(buffer, cancellationToken)) > 0)
                    {
                        await RandomAccess.WriteAsync(handle, buffer.AsMemory(0, read), offset, cancellationToken);
                        offset += read;
                    }
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        if (entry.Uid != 0 || entry.Gid != 0 || !IsRoot)
        {
            NativeFiles.ChangeOwner(handle, path, entry.Uid, entry.Gid);
        }
        if (CreatedFileMode is not UnixFileMode created || entry.Mode != created || entry.Uid != 0 || entry.Gid != 0)
        {
            // after chown, which clears set-uid/set-gid bits
            File.SetUnixFileMode(handle, entry.Mode);
        }
        NativeFiles.SetModificationTime(handle, path, entry.ModificationTime);
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
}
