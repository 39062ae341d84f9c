using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Appliance.Orchestrator.Runtime;

public sealed partial class RuncRuntime
{
    /// <summary>
    /// conmon writes a container's exit code to its exit dir (STATE/containers/ID/exit/ID) the moment the process ends; an
    /// inotify watch (<see cref="FileSystemWatcher"/>) on the containers dir and its subdirs reports that file's creation. Only
    /// names are watched (create, delete, rename), not writes, so a chatty container's log does not wake us.
    /// </summary>
    public async IAsyncEnumerable<string?> WatchExitsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(_options.ContainersDirectory);
        Channel<string?> exits = Channel.CreateBounded<string?>(
            new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        void Seen(string? path)
        {
            // STATE/containers/ID/exit/ID
            if (path is not null && Path.GetFileName(Path.GetDirectoryName(path)) == "exit"
                && Path.GetFileName(path) is { Length: > 0 } id && id == Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(path))))
            {
                exits.Writer.TryWrite(id);
            }
        }
        using var watcher = new FileSystemWatcher(_options.ContainersDirectory)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName,
        };
        watcher.Created += (_, e) => Seen(e.FullPath);
        watcher.Renamed += (_, e) => Seen(e.FullPath);
        watcher.Error += (_, _) => exits.Writer.TryWrite(null);
        watcher.EnableRaisingEvents = true;
        while (await exits.Reader.WaitToReadAsync(cancellationToken))
        {
            while (exits.Reader.TryRead(out string? id))
            {
                yield return id;
            }
        }
    }
}
