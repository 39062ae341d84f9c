using System.Threading.Channels;

namespace Appliance.Orchestrator.Runtime;

public sealed partial class RuncRuntime
{
    /// <summary>
    /// An inotify watch (<see cref="FileSystemWatcher"/>) on the names in the containers dir and its subdirs (create, delete,
    /// rename; not writes, so a chatty container's log does not wake it): each path created or renamed into place that
    /// <paramref name="pick"/> maps to an item is queued; a null item means the watch overflowed and names may have been
    /// missed. Watching starts at once; dispose to stop.
    /// </summary>
    private ContainerNamesWatch WatchContainerNames(Func<string, string?> pick)
    {
        Directory.CreateDirectory(ContainersRoot);
        Channel<string?> items = Channel.CreateBounded<string?>(
            new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        void Seen(string? path)
        {
            if (path is not null && pick(path) is { } item)
            {
                items.Writer.TryWrite(item);
            }
        }
        var watcher = new FileSystemWatcher(ContainersRoot)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName,
        };
        watcher.Created += (_, e) => Seen(e.FullPath);
        watcher.Renamed += (_, e) => Seen(e.FullPath);
        watcher.Error += (_, _) => items.Writer.TryWrite(null);
        watcher.EnableRaisingEvents = true;
        return new ContainerNamesWatch(watcher, items.Reader);
    }

    /// <summary>The containers dir, absolute and without a trailing separator (as the watch's paths start).</summary>
    private string ContainersRoot => Path.TrimEndingDirectorySeparator(Path.GetFullPath(_options.ContainersDirectory));

    private sealed class ContainerNamesWatch(FileSystemWatcher watcher, ChannelReader<string?> items) : IDisposable
    {
        public ChannelReader<string?> Items => items;

        public void Dispose() => watcher.Dispose();
    }
}
