using Appliance.Orchestrator.Runtime;
using Appliance.TestSupport;

namespace Appliance.Integration.Tests.Runtime;

/// <summary>A test box, a busybox rootfs and a runc runtime rooted in the box (RunDir/runc); removes its containers by id in teardown.</summary>
internal sealed class RuntimeTestBed : IAsyncDisposable
{
    private RuntimeTestBed(TestBox box, string rootfs)
    {
        Box = box;
        Rootfs = rootfs;
        Options = new RuntimeOptions
        {
            StateDirectory = Path.Combine(box.TempDir, "state"),
            RunDirectory = box.RunDir,
            ToolEnvironment = box.Environment,
        };
        Runtime = new RuncRuntime(Options);
    }

    public TestBox Box { get; }

    public string Rootfs { get; }

    public RuntimeOptions Options { get; }

    public RuncRuntime Runtime { get; }

    public static async Task<RuntimeTestBed> CreateAsync()
    {
        TestBox box = await TestBox.CreateAsync();
        try
        {
            string rootfs = await BusyboxRootfs.CreateAsync(Path.Combine(box.TempDir, "rootfs"));
            return new RuntimeTestBed(box, rootfs);
        }
        catch
        {
            await box.DisposeAsync();
            throw;
        }
    }

    /// <summary>A spec for a busybox container whose id carries the box prefix; its removal is registered for teardown.</summary>
    public ContainerSpec Spec(string name, string script, string? netns = null)
    {
        string id = $"{Box.Prefix}-{name}";
        Box.OnTeardown($"container {id}", () => Runtime.RemoveAsync(id));
        return new ContainerSpec
        {
            Id = id,
            RootfsPath = Rootfs,
            Hostname = name,
            NetworkNamespacePath = netns,
            Process = new ContainerProcess
            {
                Args = ["/bin/sh", "-c", script],
                // Tagged so the leak guard would find a container process left behind.
                Env = ["PATH=/bin", $"{TestPrefix.EnvironmentVariable}={Box.Prefix}"],
            },
        };
    }

    /// <summary>Creates the container and runs its process.</summary>
    public async Task CreateAndStartAsync(ContainerSpec spec)
    {
        await Runtime.CreateAsync(spec);
        await Runtime.StartAsync(spec.Id);
    }

    /// <summary>Creates and starts the container and waits until it has exited; returns its state then.</summary>
    public async Task<ContainerState> RunToExitAsync(ContainerSpec spec, TimeSpan timeout)
    {
        await CreateAndStartAsync(spec);
        ContainerState? state = null;
        await Poll.UntilAsync(async () => (state = await Runtime.InspectAsync(spec.Id))?.ExitCode is not null, timeout,
            () => $"container {spec.Id} never recorded an exit code; state {state}");
        return state!;
    }

    /// <summary>The texts of the container's last <paramref name="lines"/> log lines, each through <paramref name="map"/>.</summary>
    public async Task<string[]> TailAsync(string id, int lines, Func<string, string> map)
    {
        var tailed = new List<string>();
        await foreach (LogLine line in Runtime.LogsAsync(id, follow: false, tail: lines))
        {
            tailed.Add(map(line.Text));
        }
        return [.. tailed];
    }

    public async Task<string> LogTextAsync(string id)
    {
        var lines = new List<string>();
        await foreach (LogLine line in Runtime.LogsAsync(id, follow: false))
        {
            lines.Add($"{line.Stream}: {line.Text}");
        }
        return string.Join("\n", lines);
    }

    public ValueTask DisposeAsync() => Box.DisposeAsync();
}
