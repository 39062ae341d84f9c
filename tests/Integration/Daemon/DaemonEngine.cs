using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Images;
using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Runtime;
using Appliance.TestSupport;

namespace Appliance.Integration.Tests.Daemon;

/// <summary>
/// An engine on the same directories as the daemon of a box (<see cref="DaemonProcess"/>): the tests use it to look at and
/// poke the daemon's containers as an outsider would (exec, a process's pid), and the teardown to take down whatever the
/// daemon left.
/// </summary>
internal sealed class DaemonEngine : IDisposable
{
    private readonly ImageStore _images;
    private readonly NetworkManager _network;

    private DaemonEngine(TestBox box)
    {
        string state = DaemonProcess.StateDirOf(box);
        _images = new ImageStore(new ImageStoreOptions { Root = Path.Combine(state, "images") });
        _network = new NetworkManager(box.Nas.Namespace);
        Runtime = new RuncRuntime(new RuntimeOptions { StateDirectory = state, RunDirectory = box.RunDir, ToolEnvironment = box.Environment });
        Engine = new StackEngine(new EngineOptions
            {
                StateDirectory = state, RunDirectory = box.RunDir, HostNamespace = box.Nas.Namespace, ContainerIdPrefix = box.Prefix + "-",
            },
            Runtime, _images, _network);
    }

    public StackEngine Engine { get; }

    public RuncRuntime Runtime { get; }

    public static DaemonEngine Open(TestBox box) => new(box);

    /// <summary>
    /// An engine on the box's daemon dirs that, at teardown (after the daemon's own stop, which was registered later and runs
    /// first), takes down every stack left (volumes too), even when the test failed; the test may use it meanwhile.
    /// </summary>
    public static DaemonEngine TakeDownAtTeardown(TestBox box)
    {
        var view = new DaemonEngine(box);
        box.OnTeardown("stacks of the daemon", async () =>
        {
            try
            {
                foreach (string stack in view.Engine.ListStacks())
                {
                    await view.Engine.DownAsync(stack, removeVolumes: true);
                }
            }
            finally
            {
                view.Dispose();
            }
        });
        return view;
    }

    /// <summary>The service's container as runc sees it now.</summary>
    public async Task<ContainerState> InspectAsync(string stack, string service)
    {
        ServiceStatus row = (await Engine.PsAsync(stack)).Single(r => r.Service == service);
        return await Runtime.InspectAsync(row.ContainerId) ?? throw new InvalidOperationException($"no container for {stack}/{service}");
    }

    public void Dispose()
    {
        _network.Dispose();
        _images.Dispose();
    }
}
