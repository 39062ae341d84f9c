using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Appliance.Orchestrator.Images.Erofs;

/// <summary>
/// Writes an uncompressed EROFS image (the kernel's read-only file system, fs/erofs; format in
/// include/uapi's erofs_fs.h): block 0 holds the superblock at byte 1024, file data follows block by block as it streams
/// in, then the blocks of big directories, then the metadata area: one 64-byte extended inode per node (owner, mode,
/// mtime, 32-bit ids), its xattrs inline, and small content (files up to <see cref="MaxInline"/> bytes, symlink
/// targets, small directories) right after the inode. The tree is kept in memory (a few hundred bytes a file); file
/// content never is, except the small files held for the metadata area, up to <see cref="InlineBudget"/>.
/// The root is the first inode (nid 0). One layer of an image becomes one such file, mounted read-only as an overlay
/// lower layer: creating one file instead of thousands is what makes a pull as fast as a plain download.
/// </summary>
internal sealed class ErofsImageWriter : IDisposable
{
    public const int BlockSize = 4096;
    public const uint Magic = 0xE0F5E1E2;
    private const int BlockBits = 12;
    private const int SuperBlockOffset = 1024;
    private const int InodeSize = 64;
    private const int DirentSize = 12;
    private const int XattrHeaderSize = 12;
    private const int MaxNameLength = 255;
    /// <summary>Files up to this size are stored inline after their inode.</summary>
    public const int MaxInline = 2048;
    /// <summary>Bytes of small files held in memory for the metadata area; past it they take data blocks.</summary>
    public const long InlineBudget = 16 << 20;

    private const ushort LayoutFlatPlain = 0;
    private const ushort LayoutFlatInline = 2;

    private readonly SafeFileHandle _file;
    private readonly string _path;
    private readonly byte[] _buffer = new byte[1 << 20];
    private int _buffered;
    /// <summary>Where <see cref="_buffer"/>[0] goes in the file; data starts at block 1.</summary>
    private long _bufferOffset = BlockSize;
    private long _inlineBytes;

    public ErofsImageWriter(string path, DateTimeOffset buildTime)
    {
        _path = path;
        _file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write);
        Root = new ErofsNode(ErofsNodeKind.Directory, 0x1ed);
        Root.SetModificationTime(buildTime);
        BuildTime = buildTime;
    }

    public ErofsNode Root { get; }

    public DateTimeOffset BuildTime { get; }

    private long DataEnd => _bufferOffset + _buffered;

    /// <summary>Stores a file's content (<paramref name="length"/> bytes from <paramref name="data"/>): inline if small, else in data blocks.</summary>
    public async ValueTask WriteContentAsync(ErofsNode node, Stream? data, long length, CancellationToken cancellationToken)
    {
        node.Size = length;
        node.Inline = null;
        if (length == 0)
        {
            return;
        }
        if (data is null)
        {
            throw new EndOfStreamException($"{length} bytes of content are missing");
        }
        if (length <= MaxInline && _inlineBytes + length <= InlineBudget)
        {
            byte[] content = new byte[length];
            await data.ReadExactlyAsync(content, cancellationToken);
            node.Inline = content;
            _inlineBytes += length;
            return;
        }
        node.BlockAddress = BlockOf(DataEnd);
        long remaining = length;
        while (remaining > 0)
        {
            if (_buffered == _buffer.Length)
            {
                Flush();
            }
            int read = await data.ReadAsync(_buffer.AsMemory(_buffered, (int)Math.Min(remaining, _buffer.Length - _buffered)), cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException($"the content ended {remaining} bytes short of its {length}");
            }
            _buffered += read;
            remaining -= read;
        }
        PadToBlock();
    }

    /// <summary>Stores content already in memory (a symlink's target).</summary>
    public void WriteContent(ErofsNode node, byte[] content)
    {
        node.Size = content.Length;
        node.Inline = null;
        if (content.Length == 0)
        {
            return;
        }
        if (content.Length <= MaxInline)
        {
            node.Inline = content;
            _inlineBytes += content.Length;
            return;
        }
        node.BlockAddress = BlockOf(DataEnd);
        Append(content);
        PadToBlock();
    }

    /// <summary>Lays out and writes the directories, inodes and superblock. The image is complete when this returns.</summary>
    public void Finish()
    {
        // Every node once, the root first (nid 0: the superblock's root_nid is 16 bits); a hard link counts its names.
        var nodes = new List<ErofsNode> { Root };
        var directories = new Dictionary<ErofsNode, List<DirectoryEntry>>();
        Root.Links = 2;
        var pending = new Stack<(ErofsNode Directory, ErofsNode Parent)>();
        pending.Push((Root, Root));
        while (pending.Count > 0)
        {
            (ErofsNode directory, ErofsNode parent) = pending.Pop();
            var entries = new List<DirectoryEntry>(directory.Children!.Count + 2)
            {
                new("."u8.ToArray(), directory),
                new(".."u8.ToArray(), parent),
            };
            foreach ((string name, ErofsNode child) in directory.Children)
            {
                byte[] bytes = Encoding.UTF8.GetBytes(name);
                if (bytes.Length > MaxNameLength)
                {
                    throw new ImageStorageException($"the name '{name}' is longer than {MaxNameLength} bytes");
                }
                entries.Add(new(bytes, child));
                if (child.Kind == ErofsNodeKind.Directory)
                {
                    child.Links = 2;
                    directory.Links++;
                    pending.Push((child, directory));
                }
                else
                {
                    child.Links++;
                }
                if (child.Nid == -2)
                {
                    continue; // a hard link to a node already listed
                }
                child.Nid = -2;
                nodes.Add(child);
            }
            entries.Sort((a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
            directories[directory] = entries;
        }

        // Directory content: inline after the inode when it fits in one block with it, else in blocks after the file data.
        var directoryBlocks = new Dictionary<ErofsNode, List<(int Start, int Count, int Used)>>();
        long nextBlock = BlockOf(DataEnd);
        foreach ((ErofsNode directory, List<DirectoryEntry> entries) in directories)
        {
            List<(int Start, int Count, int Used)> blocks = PackDirectory(entries);
            directoryBlocks[directory] = blocks;
            directory.Size = (long)(blocks.Count - 1) * BlockSize + blocks[^1].Used;
            if (blocks.Count == 1 && InodeSize + XattrSize(directory) + directory.Size <= BlockSize)
            {
                directory.Inline = []; // written from the entries below
            }
            else
            {
                directory.Inline = null;
                directory.BlockAddress = checked((uint)nextBlock);
                nextBlock += blocks.Count;
            }
        }

        // Inodes: 32-byte slots from the metadata area's start; an inode with inline content never crosses a block.
        long metaStart = nextBlock * BlockSize;
        long offset = 0;
        uint inodeNumber = 1;
        foreach (ErofsNode node in nodes)
        {
            int size = InodeSize + XattrSize(node) + InlineSize(node);
            if (size > BlockSize)
            {
                // Inline content is kept small enough by construction; only extended attributes can be this big.
                throw new ImageStorageException($"an entry's extended attributes take {XattrSize(node)} bytes: more than a layer image " +
                    $"holds per file ({MaxXattrSize} bytes)");
            }
            if (offset % BlockSize + size > BlockSize)
            {
                offset = (offset / BlockSize + 1) * BlockSize;
            }
            node.Nid = offset / 32;
            node.InodeNumber = inodeNumber++;
            offset += (size + 31) / 32 * 32;
        }

        // Big directories' blocks, then the metadata area, through the same buffer.
        byte[] block = new byte[BlockSize];
        foreach ((ErofsNode directory, List<DirectoryEntry> entries) in directories)
        {
            if (directory.Inline is null)
            {
                foreach ((int start, int count, int used) in directoryBlocks[directory])
                {
                    Array.Clear(block);
                    WriteDirectoryBlock(block, entries, start, count);
                    Append(block);
                }
            }
        }
        if (DataEnd != metaStart)
        {
            throw new InvalidOperationException("directory blocks did not end where the metadata area starts");
        }
        foreach (ErofsNode node in nodes)
        {
            long at = metaStart + node.Nid * 32;
            if (DataEnd < at)
            {
                AppendZeros((int)(at - DataEnd));
            }
            int inlineSize = InlineSize(node);
            int size = InodeSize + XattrSize(node) + inlineSize;
            Span<byte> inode = size <= block.Length ? block.AsSpan(0, size) : new byte[size];
            inode.Clear();
            WriteInode(inode, node);
            Span<byte> content = inode[(InodeSize + XattrSize(node))..];
            if (node.Kind == ErofsNodeKind.Directory && node.Inline is not null)
            {
                List<DirectoryEntry> entries = directories[node];
                WriteDirectoryBlock(content, entries, 0, entries.Count);
            }
            else if (node.Inline is { } data)
            {
                data.CopyTo(content);
            }
            Append(inode);
        }
        PadToBlock();
        Flush();
        long totalBlocks = DataEnd / BlockSize;

        Span<byte> super = stackalloc byte[128];
        super.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(super, Magic);
        super[12] = BlockBits;
        BinaryPrimitives.WriteUInt16LittleEndian(super[14..], (ushort)Root.Nid);
        BinaryPrimitives.WriteUInt64LittleEndian(super[16..], (ulong)nodes.Count);
        BinaryPrimitives.WriteUInt64LittleEndian(super[24..], (ulong)Root.ModificationSeconds);
        BinaryPrimitives.WriteUInt32LittleEndian(super[36..], checked((uint)totalBlocks));
        BinaryPrimitives.WriteUInt32LittleEndian(super[40..], checked((uint)(metaStart / BlockSize)));
        RandomAccess.Write(_file, super, SuperBlockOffset);
    }

    private static int InlineSize(ErofsNode node) => node.Inline is null ? 0 : (int)node.Size;

    /// <summary>Bytes of extended attributes an inode can hold: they share its block with the inode itself.</summary>
    public const int MaxXattrSize = BlockSize - InodeSize;

    /// <summary>The inline xattr area: a 12-byte header, then per xattr its 4-byte entry head, name and value, 4-aligned.</summary>
    internal static int XattrSize(ErofsNode node)
    {
        if (node.Xattrs is not { Count: > 0 } xattrs)
        {
            return 0;
        }
        int size = XattrHeaderSize;
        foreach ((string name, byte[] value) in xattrs)
        {
            (_, string suffix) = XattrIndex(name);
            size += (4 + Encoding.UTF8.GetByteCount(suffix) + value.Length + 3) / 4 * 4;
        }
        return size;
    }

    /// <summary>Whether an image can hold an xattr of this name: EROFS stores the name as a namespace's index and the rest.</summary>
    public static bool CanHoldXattr(string name) => TryXattrIndex(name, out _, out _);

    private static (byte Index, string Suffix) XattrIndex(string name) => TryXattrIndex(name, out byte index, out string suffix)
        ? (index, suffix)
        : throw new ImageStorageException($"the extended attribute '{name}' is not in a namespace a layer can hold (user., trusted., security., POSIX ACLs)");

    private static bool TryXattrIndex(string name, out byte index, out string suffix)
    {
        (index, suffix) = name switch
    {
        "system.posix_acl_access" => ((byte)2, ""),
        "system.posix_acl_default" => ((byte)3, ""),
        _ when name.StartsWith("user.", StringComparison.Ordinal) => ((byte)1, name[5..]),
        _ when name.StartsWith("trusted.", StringComparison.Ordinal) => ((byte)4, name[8..]),
        _ when name.StartsWith("security.", StringComparison.Ordinal) => ((byte)6, name[9..]),
        _ => ((byte)0, ""),
    };
        return index != 0;
    }

    private static void WriteInode(Span<byte> inode, ErofsNode node)
    {
        ushort layout = node.Inline is not null ? LayoutFlatInline : LayoutFlatPlain;
        int xattrSize = XattrSize(node);
        BinaryPrimitives.WriteUInt16LittleEndian(inode, (ushort)(1 | (layout << 1))); // extended inode
        BinaryPrimitives.WriteUInt16LittleEndian(inode[2..], (ushort)(xattrSize == 0 ? 0 : (xattrSize - XattrHeaderSize) / 4 + 1));
        BinaryPrimitives.WriteUInt16LittleEndian(inode[4..], (ushort)(TypeBits(node.Kind) | node.Permissions));
        BinaryPrimitives.WriteUInt64LittleEndian(inode[8..], (ulong)node.Size);
        uint union = node.Kind is ErofsNodeKind.CharDevice or ErofsNodeKind.BlockDevice ? node.Rdev
            : node.Inline is null && node.Size > 0 ? node.BlockAddress : 0;
        BinaryPrimitives.WriteUInt32LittleEndian(inode[16..], union);
        BinaryPrimitives.WriteUInt32LittleEndian(inode[20..], node.InodeNumber);
        BinaryPrimitives.WriteUInt32LittleEndian(inode[24..], node.Uid);
        BinaryPrimitives.WriteUInt32LittleEndian(inode[28..], node.Gid);
        BinaryPrimitives.WriteUInt64LittleEndian(inode[32..], (ulong)node.ModificationSeconds);
        BinaryPrimitives.WriteUInt32LittleEndian(inode[40..], node.ModificationNanoseconds);
        BinaryPrimitives.WriteUInt32LittleEndian(inode[44..], node.Links);
        if (node.Xattrs is { Count: > 0 } xattrs)
        {
            Span<byte> area = inode[InodeSize..];
            int at = XattrHeaderSize; // h_name_filter 0, no shared xattrs
            foreach ((string name, byte[] value) in xattrs)
            {
                (byte index, string suffix) = XattrIndex(name);
                int nameLength = Encoding.UTF8.GetBytes(suffix, area[(at + 4)..]);
                area[at] = checked((byte)nameLength);
                area[at + 1] = index;
                BinaryPrimitives.WriteUInt16LittleEndian(area[(at + 2)..], checked((ushort)value.Length));
                value.CopyTo(area[(at + 4 + nameLength)..]);
                at += (4 + nameLength + value.Length + 3) / 4 * 4;
            }
        }
    }

    private static uint TypeBits(ErofsNodeKind kind) => kind switch
    {
        ErofsNodeKind.File => 0x8000,
        ErofsNodeKind.Directory => 0x4000,
        ErofsNodeKind.Symlink => 0xa000,
        ErofsNodeKind.CharDevice => 0x2000,
        ErofsNodeKind.BlockDevice => 0x6000,
        ErofsNodeKind.Fifo => 0x1000,
        _ => 0xc000,
    };

    /// <summary>Splits sorted entries into blocks: each block its 12-byte entries, then their names.</summary>
    private static List<(int Start, int Count, int Used)> PackDirectory(List<DirectoryEntry> entries)
    {
        var blocks = new List<(int, int, int)>();
        int start = 0, used = 0;
        for (int i = 0; i < entries.Count; i++)
        {
            int need = DirentSize + entries[i].Name.Length;
            if (used + need > BlockSize)
            {
                blocks.Add((start, i - start, used));
                start = i;
                used = 0;
            }
            used += need;
        }
        blocks.Add((start, entries.Count - start, used));
        return blocks;
    }

    private static void WriteDirectoryBlock(Span<byte> block, List<DirectoryEntry> entries, int start, int count)
    {
        int nameOffset = count * DirentSize;
        for (int i = 0; i < count; i++)
        {
            DirectoryEntry entry = entries[start + i];
            Span<byte> dirent = block[(i * DirentSize)..];
            BinaryPrimitives.WriteUInt64LittleEndian(dirent, (ulong)entry.Node.Nid);
            BinaryPrimitives.WriteUInt16LittleEndian(dirent[8..], (ushort)nameOffset);
            dirent[10] = (byte)entry.Node.Kind;
            entry.Name.CopyTo(block[nameOffset..]);
            nameOffset += entry.Name.Length;
        }
    }

    private static uint BlockOf(long offset) => checked((uint)(offset / BlockSize));

    private void Append(ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            if (_buffered == _buffer.Length)
            {
                Flush();
            }
            int n = Math.Min(bytes.Length, _buffer.Length - _buffered);
            bytes[..n].CopyTo(_buffer.AsSpan(_buffered));
            _buffered += n;
            bytes = bytes[n..];
        }
    }

    private void AppendZeros(int count)
    {
        while (count > 0)
        {
            if (_buffered == _buffer.Length)
            {
                Flush();
            }
            int n = Math.Min(count, _buffer.Length - _buffered);
            _buffer.AsSpan(_buffered, n).Clear();
            _buffered += n;
            count -= n;
        }
    }

    private void PadToBlock()
    {
        int rest = (int)(DataEnd % BlockSize);
        if (rest != 0)
        {
            AppendZeros(BlockSize - rest);
        }
    }

    private void Flush()
    {
        if (_buffered > 0)
        {
            RandomAccess.Write(_file, _buffer.AsSpan(0, _buffered), _bufferOffset);
            _bufferOffset += _buffered;
            _buffered = 0;
        }
    }

    public void Dispose() => _file.Dispose();

    public override string ToString() => _path;

    private readonly record struct DirectoryEntry(byte[] Name, ErofsNode Node);
}
