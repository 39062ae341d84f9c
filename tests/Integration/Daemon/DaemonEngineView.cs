using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Images;
using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Runtime;
using Appliance.TestSupport;

namespace Appliance.Integration.Tests.Daemon;

/// <summary>
/// The engine and runtime on the daemon's own directories, from the test's side: to see what the daemon made (records,
/// addresses, containers) and, at teardown, to take down whatever stacks it left, even when the test failed.
/// </summary>
internal sealed class DaemonEngineView : IDisposable
{
    private readonly ImageStore _images;
    private readonly NetworkManager _network;

    private DaemonEngineView(TestBox box)
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

    /// <summary>A view on the box's daemon dirs; at teardown (before the daemon's own, which runs first) every stack left is taken down.</summary>
    public static DaemonEngineView TakeDownAtTeardown(TestBox box)
    {
        var view = new DaemonEngineView(box);
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

    public void Dispose()
    {
        _images.Dispose();
        _network.Dispose();
    }
}
