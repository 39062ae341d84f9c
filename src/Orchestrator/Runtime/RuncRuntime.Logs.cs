using System.Runtime.CompilerServices;
using System.Text;

namespace Appliance.Orchestrator.Runtime;

public sealed partial class RuncRuntime
{
    /// <summary>
    /// The container's output, oldest first: the rotated files, then the current one; with <paramref name="follow"/>, new
    /// lines as conmon writes them, also across its switch to a fresh file (the rest of the old one is read first). With
    /// <paramref name="tail"/>, only the last lines: found by reading the files backwards from their end, so a long log costs
    /// no more than the lines asked for.
    /// </summary>
    public async IAsyncEnumerable<LogLine> LogsAsync(string id, bool follow, int? tail = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string bundle = BundleOf(id);
        if (!Directory.Exists(bundle))
        {
            throw new ContainerNotFoundException(id);
        }
        var parser = new K8sLogParser();
        var pending = new List<byte>();
        var buffer = new byte[16384];
        List<string> files = LogFilesOf(bundle);
        (int first, long offset) = tail is int lines ? TailStart(files, lines) : (0, 0);
        for (int i = first; i < files.Count - 1; i++)
        {
            await using FileStream? stream = TryOpenLog(files[i]);
            if (stream is not null)
            {
                stream.Position = i == first ? offset : 0;
                await foreach (LogLine line in ReadToEndAsync(stream, parser, pending, buffer, cancellationToken))
                {
                    yield return line;
                }
            }
            pending.Clear();
        }
        string file = files[^1];
        FileStream? current = null;
        ulong inode = 0;
        try
        {
            while (true)
            {
                // Done once conmon has ended after the exit: it drains the container's output before it goes.
                bool stopped = !Directory.Exists(bundle)
                    || (File.Exists(ExitFileOf(id)) && !(ReadPid(Path.Combine(bundle, ConmonPidFileName)) is int conmon && IsAlive(conmon)));
                if (current is null && TryOpenLog(file) is { } opened)
                {
                    current = opened;
                    inode = InodeOf(current.SafeFileHandle);
                    if (first == files.Count - 1 && offset > 0)
                    {
                        current.Position = Math.Min(offset, current.Length);
                        offset = 0;
                    }
                }
                if (current is not null)
                {
                    await foreach (LogLine line in ReadToEndAsync(current, parser, pending, buffer, cancellationToken))
                    {
                        yield return line;
                    }
                }
                if (!follow || stopped)
                {
                    yield break;
                }
                if (current is not null && Inode(file) is ulong now && now != inode)
                {
                    // conmon started a new file: what it wrote to the old one before closing it, then the new one.
                    await foreach (LogLine line in ReadToEndAsync(current, parser, pending, buffer, cancellationToken))
                    {
                        yield return line;
                    }
                    await current.DisposeAsync();
                    current = null;
                    pending.Clear();
                    continue;
                }
                await Task.Delay(100, cancellationToken);
            }
        }
        finally
        {
            if (current is not null)
            {
                await current.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Where the last <paramref name="tail"/> lines begin: the index of the file and the offset in it. Walks the files
    /// backwards from their end; a line the container printed may be several records (conmon's <c>P</c> partial records
    /// then an <c>F</c>), so lines are counted by their <c>F</c> records, and the tail starts right after the record that
    /// ends the line before it.
    /// </summary>
    private static (int File, long Offset) TailStart(List<string> files, int tail)
    {
        if (tail <= 0)
        {
            return (files.Count - 1, TryLength(files[^1]));
        }
        int found = 0;
        var block = new byte[64 * 1024];
        // Where the record after the one being looked at begins (the tail's start once enough lines are found).
        (int File, long Offset) next = (files.Count - 1, TryLength(files[^1]));
        for (int i = files.Count - 1; i >= 0; i--)
        {
            using FileStream? stream = TryOpenLog(files[i]);
            if (stream is null || stream.Length == 0)
            {
                continue;
            }
            long end = stream.Length;
            for (long position = end; position > 0;)
            {
                int n = (int)Math.Min(block.Length, position);
                position -= n;
                RandomAccess.Read(stream.SafeFileHandle, block.AsSpan(0, n), position);
                for (int j = n - 1; j >= 0; j--)
                {
                    // A newline (not the one ending the file) is where a record begins.
                    if (block[j] != (byte)'\n' || position + j == end - 1)
                    {
                        continue;
                    }
                    long start = position + j + 1;
                    if (IsFullRecord(stream, start) && ++found > tail)
                    {
                        return next;
                    }
                    next = (i, start);
                }
            }
            if (IsFullRecord(stream, 0) && ++found > tail)
            {
                return next;
            }
            next = (i, 0);
        }
        return (0, 0);
    }

    /// <summary>Whether the record at <paramref name="offset"/> ends a line: <c>TIMESTAMP STREAM F text</c> (not <c>P</c>).</summary>
    private static bool IsFullRecord(FileStream stream, long offset)
    {
        Span<byte> head = stackalloc byte[80];
        int n = RandomAccess.Read(stream.SafeFileHandle, head, offset);
        int spaces = 0;
        for (int k = 0; k < n; k++)
        {
            if (head[k] == (byte)' ' && ++spaces == 2)
            {
                return k + 1 < n && head[k + 1] == (byte)'F';
            }
        }
        return true;
    }

    private static long TryLength(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    private static FileStream? TryOpenLog(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The whole lines from the stream's position to its end; a last partial line waits in <paramref name="pending"/>.</summary>
    private static async IAsyncEnumerable<LogLine> ReadToEndAsync(FileStream stream, K8sLogParser parser, List<byte> pending, byte[] buffer,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        int n;
        while ((n = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            int start = 0;
            for (int i = 0; i < n; i++)
            {
                if (buffer[i] != (byte)'\n')
                {
                    continue;
                }
                pending.AddRange(buffer.AsSpan(start, i - start));
                string line = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pending));
                pending.Clear();
                start = i + 1;
                if (parser.Parse(line) is LogLine parsed)
                {
                    yield return parsed;
                }
            }
            pending.AddRange(buffer.AsSpan(start, n - start));
        }
    }
}
