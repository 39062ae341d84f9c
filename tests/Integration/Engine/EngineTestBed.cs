using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Firewall;
using Appliance.Orchestrator.Images;
using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Runtime;
using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.Stacks.Resolved;
using Appliance.TestSupport;

namespace Appliance.Integration.Tests.Engine;

/// <summary>A test box whose nas namespace hosts the stacks of a <see cref="StackEngine"/>; teardown takes every stack down.</summary>
internal sealed class EngineTestBed : IAsyncDisposable
{
    private EngineTestBed(TestBox box, IStackFirewall? firewall)
    {
        Box = box;
        Firewall = firewall;
        if (firewall is IAsyncDisposable disposable)
        {
            // Registered first, so it runs last: after the stacks went down and closed their rules.
            box.OnTeardown("stack firewall", () => disposable.DisposeAsync().AsTask());
        }
        string state = Path.Combine(box.TempDir, "state");
        Images = new ImageStore(new ImageStoreOptions { Root = Path.Combine(state, "images") });
        Runtime = new RuncRuntime(new RuntimeOptions { StateDirectory = state, RunDirectory = box.RunDir, ToolEnvironment = box.Environment });
        Network = new NetworkManager(box.Nas.Namespace);
        Engine = new StackEngine(new EngineOptions
        {
            StateDirectory = state,
            RunDirectory = box.RunDir,
            HostNamespace = box.Nas.Namespace,
            ContainerIdPrefix = box.Prefix + "-",
            DependencyTimeout = TimeSpan.FromMinutes(2),
        }, Runtime, Images, Network, firewall);
        box.OnTeardown("image store", () => { Images.Dispose(); Network.Dispose(); return Task.CompletedTask; });
        box.OnTeardown("stacks down", async () =>
        {
            var failures = new List<string>();
            foreach (string stack in Engine.ListStacks())
            {
                try
                {
                    await Engine.DownAsync(stack, removeVolumes: true);
                }
                catch (EngineException e)
                {
                    failures.Add(e.Message);
                }
            }
            if (failures.Count > 0)
            {
                throw new InvalidOperationException(string.Join("\n", failures));
            }
        });
    }

    public TestBox Box { get; }

    public ImageStore Images { get; }

    public RuncRuntime Runtime { get; }

    public NetworkManager Network { get; }

    public StackEngine Engine { get; }

    /// <summary>What the engine opens each stack's rules through, if anything.</summary>
    public IStackFirewall? Firewall { get; }

    public List<EngineEvent> Events { get; } = new();

    public IProgress<EngineEvent> Progress => new SyncProgress(e => { lock (Events) { Events.Add(e); } });

    /// <summary>
    /// A fresh box (with a WAN client when <paramref name="withWan"/>); <paramref name="firewall"/>,
    /// if given, builds the engine's <see cref="IStackFirewall"/> for the box (disposed at teardown).
    /// </summary>
    public static async Task<EngineTestBed> CreateAsync(bool withWan = false, Func<TestBox, IStackFirewall>? firewall = null)
    {
        TestBox box = await TestBox.CreateAsync(withWan);
        try
        {
            return new(box, firewall?.Invoke(box));
        }
        catch
        {
            await box.DisposeAsync();
            throw;
        }
    }

    public static ResolvedStack Load(string text, IReadOnlyDictionary<string, string>? variables = null, string file = "stack.yaml")
    {
        StackLoadResult result = StackLoader.LoadFromText(text, file, variables);
        Assert.False(result.HasErrors, string.Join("\n", result.Errors));
        return result.Stack!;
    }

    /// <summary>tests/stacks/NAME/stack.yaml in the source tree.</summary>
    public static string StackFile(string name)
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "stacks", name, "stack.yaml");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException($"tests/stacks/{name}/stack.yaml not found above {AppContext.BaseDirectory}");
    }

    public async Task<IReadOnlyList<string>> NasLinksAsync()
    {
        CommandResult links = (await Box.ExecAsync(Box.Nas, "ip", "-o", "link", "show")).EnsureSuccess();
        return links.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')[1].Trim().Split('@')[0]).ToList();
    }

    /// <summary>A service's log so far, one line per log line.</summary>
    public async Task<string> LogTextAsync(string stack, string service)
    {
        var lines = new List<string>();
        await foreach (LogLine line in Engine.LogsAsync(stack, service, follow: false))
        {
            lines.Add(line.Text);
        }
        return string.Join("\n", lines);
    }

    public ValueTask DisposeAsync() => Box.DisposeAsync();

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the pool and lose ordering).</summary>
    private sealed class SyncProgress(Action<EngineEvent> report) : IProgress<EngineEvent>
    {
        public void Report(EngineEvent value) => report(value);
    }
}
