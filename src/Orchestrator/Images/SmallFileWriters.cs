using System.Buffers;
using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;

namespace Appliance.Orchestrator.Images;

/// <summary>
/// A layer's small files, whole in a pooled buffer, waiting to be created. <see cref="Buffer"/> is
/// rented from <see cref="ArrayPool{T}.Shared"/> and returned by whoever writes (or drops) the file.
/// </summary>
internal readonly record struct SmallFile(
    string Path, byte[] Buffer, int Length, UnixFileMode Mode, int Uid, int Gid, DateTimeOffset ModificationTime,
    IReadOnlyList<KeyValuePair<string, string>>? Xattrs);

/// <summary>
/// Creates a layer's small files on worker threads while the unpacker reads on. One thread reads
/// the layer (socket, sha256, gunzip, sha256, tar headers); creating a file is open, write,
/// futimens and close in the kernel, which costs more than reading its few KB, and on a layer of
/// thousands of files that thread was the last one still working at the end of a pull. The queue
/// is bounded (<see cref="Capacity"/> files, each at most the unpacker's small-file size), so
/// memory stays bounded whatever the layer holds.
/// Ordering is the caller's: a file is queued only for a new path in a directory that exists, and
/// the caller <see cref="DrainAsync"/>s before anything that needs a queued file on disk (a hard
/// link to it, replacing it, the directory times at the end).
/// </summary>
internal sealed class SmallFileWriters
{
    private const int Capacity = 64;

    private readonly int _workers;
    private Channel<SmallFile>? _queue;
    private Task[] _running = [];

    public SmallFileWriters(int workers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        _workers = workers;
    }

    /// <summary>Queues a file (the writers own its buffer from here on, also when this throws).</summary>
    public async ValueTask EnqueueAsync(SmallFile file, CancellationToken cancellationToken = default)
    {
        if (_queue is null)
        {
            var queue = Channel.CreateBounded<SmallFile>(new BoundedChannelOptions(Capacity) { SingleWriter = true });
            _running = [.. Enumerable.Range(0, _workers).Select(_ => Task.Run(() => RunAsync(queue)))];
            _queue = queue;
        }
        try
        {
            await _queue.Writer.WriteAsync(file, cancellationToken);
        }
        catch (Exception e) when (e is ChannelClosedException or OperationCanceledException)
        {
            ArrayPool<byte>.Shared.Return(file.Buffer);
            if (e is ChannelClosedException)
            {
                await DrainAsync(); // a writer failed and closed the queue: throws its error
            }
            throw;
        }
    }

    /// <summary>
    /// Returns once every queued file is on disk (workers start again on the next enqueue); throws
    /// the first error of a write, after all writers stopped.
    /// </summary>
    public async Task DrainAsync()
    {
        if (_queue is not Channel<SmallFile> queue)
        {
            return;
        }
        queue.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_running);
        }
        finally
        {
            _queue = null;
            _running = [];
            while (queue.Reader.TryRead(out SmallFile left))
            {
                ArrayPool<byte>.Shared.Return(left.Buffer); // not written: an earlier write failed
            }
        }
    }

    private static async Task RunAsync(Channel<SmallFile> queue)
    {
        try
        {
            while (await queue.Reader.WaitToReadAsync())
            {
                while (queue.Reader.TryRead(out SmallFile file))
                {
                    try
                    {
                        Write(file);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(file.Buffer);
                    }
                }
            }
        }
        catch (Exception e)
        {
            queue.Writer.TryComplete(e); // the unpacker's next enqueue stops, and the other writers stop at the same point
            throw;
        }
    }

    /// <summary>One small file through its handle: create, one write, metadata (<see cref="LayerUnpacker.SetFileMetadata"/>), xattrs.</summary>
    public static void Write(SmallFile file)
    {
        using SafeFileHandle handle = LayerUnpacker.CreateFile(file.Path, file.Mode);
        if (file.Length > 0)
        {
            RandomAccess.Write(handle, file.Buffer.AsSpan(0, file.Length), 0);
        }
        LayerUnpacker.SetFileMetadata(handle, file.Path, file.Mode, file.Uid, file.Gid, file.ModificationTime);
        foreach ((string name, string value) in file.Xattrs ?? [])
        {
            NativeFiles.SetXattr(file.Path, name, value);
        }
    }
}
