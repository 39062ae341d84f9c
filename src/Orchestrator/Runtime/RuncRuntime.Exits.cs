using System.Runtime.CompilerServices;

namespace Appliance.Orchestrator.Runtime;

public sealed partial class RuncRuntime
{
    /// <summary>
    /// conmon writes a container's exit code to its exit dir (STATE/containers/ID/exit/ID) the moment the process ends; the
    /// containers dir's watch (<see cref="WatchContainerNames"/>) reports that file's creation.
    /// </summary>
    public async IAsyncEnumerable<string?> WatchExitsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using ContainerNamesWatch watch = WatchContainerNames(ExitedContainer);
        while (await watch.Items.WaitToReadAsync(cancellationToken))
        {
            while (watch.Items.TryRead(out string? id))
            {
                yield return id;
            }
        }
    }

    /// <summary>The container whose exit file this is (STATE/containers/ID/exit/ID), else null.</summary>
    private static string? ExitedContainer(string path) =>
        Path.GetFileName(Path.GetDirectoryName(path)) == "exit"
            && Path.GetFileName(path) is { Length: > 0 } id && id == Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(path)))
            ? id
            : null;
}
