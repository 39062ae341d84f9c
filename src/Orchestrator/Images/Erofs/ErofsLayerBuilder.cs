using System.Formats.Tar;
using System.Text;

namespace Appliance.Orchestrator.Images.Erofs;

/// <summary>
/// Turns one layer tar into one EROFS image as overlayfs wants a lower layer, with the rules of
/// <see cref="LayerUnpacker"/>: whiteouts (<c>.wh.NAME</c>) become 0/0 character devices, opaque markers
/// (<c>.wh..wh..opq</c>) the <c>trusted.overlay.opaque=y</c> xattr on their directory; hard links, symlinks, device
/// nodes, owners, modes, mtimes and PAX xattrs are kept; an absolute name, a <c>..</c> component or a path through a
/// symlink of the layer is refused. Nothing is created on the host's file system but the image file itself, so no entry
/// can land outside it.
/// </summary>
internal sealed class ErofsLayerBuilder
{
    private readonly ErofsImageWriter _image;
    private readonly string _layer;

    public ErofsLayerBuilder(ErofsImageWriter image, string layer)
    {
        _image = image;
        _layer = layer;
    }

    public int Entries { get; private set; }

    /// <summary>Reads the whole tar into the image and finishes it.</summary>
    public async Task BuildAsync(Stream tar, CancellationToken cancellationToken)
    {
        await using var reader = new TarReader(tar, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is TarEntry entry)
        {
            await AddAsync(entry, cancellationToken);
            Entries++;
        }
        _image.Finish();
    }

    private async Task AddAsync(TarEntry entry, CancellationToken cancellationToken)
    {
        string relative = LayerUnpacker.Normalize(_layer, entry.Name, entry.Name);
        if (relative.Length == 0)
        {
            // "./": the layer's root directory itself
            if (entry.EntryType == TarEntryType.Directory)
            {
                ApplyMetadata(_image.Root, entry);
                ApplyXattrs(_image.Root, entry, "/");
            }
            return;
        }
        int slash = relative.LastIndexOf('/');
        string name = slash < 0 ? relative : relative[(slash + 1)..];
        ErofsNode parent = Directory(slash < 0 ? "" : relative[..slash], entry.Name, create: true)!;
        Dictionary<string, ErofsNode> children = parent.Children!;

        if (name == LayerUnpacker.OpaqueMarker)
        {
            parent.SetXattr("trusted.overlay.opaque", "y"u8.ToArray());
            return;
        }
        if (name.StartsWith(LayerUnpacker.WhiteoutPrefix, StringComparison.Ordinal))
        {
            string hidden = name[LayerUnpacker.WhiteoutPrefix.Length..];
            if (hidden.Length == 0 || hidden is "." or "..")
            {
                throw new UnsafeLayerException(_layer, entry.Name, "a whiteout must name a file");
            }
            var whiteout = new ErofsNode(ErofsNodeKind.CharDevice, 0);
            whiteout.SetModificationTime(entry.ModificationTime);
            children[hidden] = whiteout;
            return;
        }

        ErofsNode node;
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                if (!children.TryGetValue(name, out node!) || node.Kind != ErofsNodeKind.Directory)
                {
                    node = new ErofsNode(ErofsNodeKind.Directory, 0);
                    children[name] = node;
                }
                ApplyMetadata(node, entry);
                break;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                node = new ErofsNode(ErofsNodeKind.File, 0);
                ApplyMetadata(node, entry);
                await _image.WriteContentAsync(node, entry.DataStream, entry.Length, cancellationToken);
                children[name] = node;
                break;
            case TarEntryType.SymbolicLink:
                node = new ErofsNode(ErofsNodeKind.Symlink, 0x1ff) { Uid = (uint)entry.Uid, Gid = (uint)entry.Gid };
                node.SetModificationTime(entry.ModificationTime);
                _image.WriteContent(node, Encoding.UTF8.GetBytes(entry.LinkName));
                children[name] = node;
                return; // a symlink has no xattrs of its own here
            case TarEntryType.HardLink:
            {
                string target = LayerUnpacker.Normalize(_layer, entry.LinkName, entry.Name);
                int targetSlash = target.LastIndexOf('/');
                ErofsNode? targetParent = target.Length == 0 ? null : Directory(targetSlash < 0 ? "" : target[..targetSlash], entry.Name, create: false);
                ErofsNode? linked = targetParent?.Children!.GetValueOrDefault(targetSlash < 0 ? target : target[(targetSlash + 1)..]);
                if (target.Length == 0 || linked?.Kind == ErofsNodeKind.Directory)
                {
                    throw new UnsafeLayerException(_layer, entry.Name, $"hard link to '{entry.LinkName}', which is not a file of this layer");
                }
                if (linked is null)
                {
                    throw new UnsafeLayerException(_layer, entry.Name, $"hard link to '{entry.LinkName}', which comes later or not at all in this layer");
                }
                children[name] = linked;
                return;
            }
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
            {
                var posix = (PosixTarEntry)entry;
                node = new ErofsNode(entry.EntryType switch
                {
                    TarEntryType.CharacterDevice => ErofsNodeKind.CharDevice,
                    TarEntryType.BlockDevice => ErofsNodeKind.BlockDevice,
                    _ => ErofsNodeKind.Fifo,
                }, 0)
                {
                    Rdev = EncodeDevice((uint)posix.DeviceMajor, (uint)posix.DeviceMinor),
                };
                ApplyMetadata(node, entry);
                children[name] = node;
                break;
            }
            default:
                throw new UnsafeLayerException(_layer, entry.Name, $"entry type {entry.EntryType} is not supported in a layer");
        }
        ApplyXattrs(node, entry, relative);
    }

    /// <summary>
    /// The directory at <paramref name="path"/>, its missing parents made (0755, root) when <paramref name="create"/>;
    /// a symlink or a file on the way is refused. Null when it is missing and not made.
    /// </summary>
    private ErofsNode? Directory(string path, string entryName, bool create)
    {
        ErofsNode directory = _image.Root;
        if (path.Length == 0)
        {
            return directory;
        }
        string sofar = "";
        foreach (string part in path.Split('/'))
        {
            sofar = sofar.Length == 0 ? part : sofar + "/" + part;
            if (directory.Children!.TryGetValue(part, out ErofsNode? next))
            {
                directory = next.Kind switch
                {
                    ErofsNodeKind.Directory => next,
                    ErofsNodeKind.Symlink => throw new UnsafeLayerException(_layer, entryName,
                        $"the path goes through the symbolic link '{sofar}' (it could point outside the layer)"),
                    _ => throw new UnsafeLayerException(_layer, entryName, $"'{sofar}' is a file of this layer, not a directory"),
                };
                continue;
            }
            if (!create)
            {
                return null;
            }
            next = new ErofsNode(ErofsNodeKind.Directory, 0x1ed);
            next.SetModificationTime(_image.BuildTime);
            directory.Children[part] = next;
            directory = next;
        }
        return directory;
    }

    private static void ApplyMetadata(ErofsNode node, TarEntry entry)
    {
        node.Permissions = (uint)entry.Mode & 0xfff;
        node.Uid = (uint)entry.Uid;
        node.Gid = (uint)entry.Gid;
        node.SetModificationTime(entry.ModificationTime);
    }

    private static void ApplyXattrs(ErofsNode node, TarEntry entry, string path)
    {
        foreach ((string xattr, string value) in LayerUnpacker.Xattrs(entry) ?? [])
        {
            if (!ErofsImageWriter.CanHoldXattr(xattr))
            {
                throw new ImageStorageException($"setxattr {xattr} on '/{path.TrimStart('/')}': not a namespace a layer can hold (user., trusted., security., POSIX ACLs)");
            }
            node.SetXattr(xattr, Encoding.UTF8.GetBytes(value));
            if (ErofsImageWriter.XattrSize(node) > ErofsImageWriter.MaxXattrSize)
            {
                throw new ImageStorageException($"setxattr {xattr} on '/{path.TrimStart('/')}': the file's extended attributes take " +
                    $"{ErofsImageWriter.XattrSize(node)} bytes, more than a layer image holds per file ({ErofsImageWriter.MaxXattrSize})");
            }
        }
    }

    /// <summary>The kernel's new_encode_dev: minor's low byte, major, then minor's upper bits.</summary>
    internal static uint EncodeDevice(uint major, uint minor) => (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xffu) << 12);
}
