using System.Runtime.CompilerServices;
using System.Text;

namespace Appliance.Orchestrator.Runtime;

public sealed partial class RuncRuntime
{
    /// <summary>
    /// The container's output, oldest first: the rotated files, then the current one; with <paramref name="follow"/>, new
    /// lines as conmon writes them, also across its switch to a fresh file (the rest of the old one is read first).
    /// </summary>
    public async IAsyncEnumerable<LogLine> LogsAsync(string id, bool follow, [EnumeratorCancellation] CancellationToken cancellationToken = default)
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
        foreach (string older in files.Take(files.Count - 1))
        {
            await using FileStream? stream = TryOpenLog(older);
            if (stream is not null)
            {
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
