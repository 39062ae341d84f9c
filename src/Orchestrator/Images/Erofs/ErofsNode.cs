namespace Appliance.Orchestrator.Images.Erofs;

/// <summary>What a node is; the values are EROFS's directory entry file types.</summary>
internal enum ErofsNodeKind : byte
{
    File = 1,
    Directory = 2,
    CharDevice = 3,
    BlockDevice = 4,
    Fifo = 5,
    Socket = 6,
    Symlink = 7,
}

/// <summary>
/// One inode of an EROFS image being built: a directory holds its children by name; a file its content either
/// in data blocks (<see cref="BlockAddress"/>) or, when small, inline after the inode (<see cref="Inline"/>).
/// A hard link is the same node under two names.
/// </summary>
internal sealed class ErofsNode
{
    public ErofsNode(ErofsNodeKind kind, uint permissions)
    {
        Kind = kind;
        Permissions = permissions & 0xfff;
        Children = kind == ErofsNodeKind.Directory ? new Dictionary<string, ErofsNode>(StringComparer.Ordinal) : null;
    }

    public ErofsNodeKind Kind { get; }

    /// <summary>Permission, set-id and sticky bits (07777).</summary>
    public uint Permissions { get; set; }

    public uint Uid { get; set; }

    public uint Gid { get; set; }

    public long ModificationSeconds { get; set; }

    public uint ModificationNanoseconds { get; set; }

    /// <summary>Bytes of content (a file's data, a symlink's target).</summary>
    public long Size { get; set; }

    /// <summary>First block of the content when it is not inline.</summary>
    public uint BlockAddress { get; set; }

    /// <summary>The whole content, stored right after the inode, when it is small.</summary>
    public byte[]? Inline { get; set; }

    /// <summary>A device node's major and minor number, in the kernel's new_encode_dev form.</summary>
    public uint Rdev { get; set; }

    public List<KeyValuePair<string, byte[]>>? Xattrs { get; set; }

    public Dictionary<string, ErofsNode>? Children { get; }

    public void SetModificationTime(DateTimeOffset time)
    {
        (long seconds, long nanoseconds) = NativeFiles.UnixTime(time);
        ModificationSeconds = seconds;
        ModificationNanoseconds = (uint)nanoseconds;
    }

    public void SetXattr(string name, byte[] value)
    {
        Xattrs ??= [];
        Xattrs.RemoveAll(x => x.Key == name);
        Xattrs.Add(new(name, value));
    }

    // Set while the image's metadata is laid out.
    internal long Nid { get; set; } = -1;

    internal uint Links { get; set; }

    internal uint InodeNumber { get; set; }
}
