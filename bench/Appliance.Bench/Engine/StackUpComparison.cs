using System.Diagnostics;
using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Images;
using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Runtime;
using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.Stacks.Resolved;
using Appliance.TestSupport;
using Appliance.TestSupport.Registry;

namespace Appliance.Bench.Engine;

/// <summary>
/// `compare-stack-up`: the 3-service test stack (redis, postgresql, gitlab-probe from the local
/// registry, images already present) brought up until every container runs: Appliance's
/// <see cref="StackEngine.UpAsync"/> against podman (Debian's, runc, cgroupfs, its own --root
/// and --runroot) creating a network and running the same three images in it, one `podman run -d`
/// after another as podman-compose does. Both put their bridge in the same test box namespace
/// (podman's netavark writes its iptables rules there, never in the machine's own). Teardown
/// between rounds is not timed. APPLIANCE_BENCH_LAYER_FORMAT=Directory|Erofs sets the image store's layer format (Auto).
/// </summary>
public sealed class StackUpComparison : IComparison
{
    private const int Rounds = 5;
    private const string Password = "bench-secret-0123";

    public string Name => "compare-stack-up";

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        await using LocalRegistry registry = await LocalRegistry.StartAsync(new LocalRegistryOptions { PushTestImages = true }, cancellationToken);
        await using TestBox box = await TestBox.CreateAsync(cancellationToken: cancellationToken);
        string[] images = [registry.Reference(TestImages.Redis), registry.Reference(TestImages.Postgresql), registry.Reference(TestImages.GitlabProbe)];
        string state = Path.Combine(box.TempDir, "appliance");
        LayerFormat format = Enum.Parse<LayerFormat>(Environment.GetEnvironmentVariable("APPLIANCE_BENCH_LAYER_FORMAT") ?? nameof(LayerFormat.Auto));
        using var store = new ImageStore(new ImageStoreOptions { Root = Path.Combine(state, "images"), LayerFormat = format });
        using var network = new NetworkManager(box.Nas.Namespace);
        var runtime = new RuncRuntime(new RuntimeOptions { StateDirectory = state, RunDirectory = box.RunDir, ToolEnvironment = box.Environment });
        var engine = new StackEngine(new EngineOptions
        {
            StateDirectory = state,
            RunDirectory = box.RunDir,
            HostNamespace = box.Nas.Namespace,
            ContainerIdPrefix = box.Prefix + "-",
        }, runtime, store, network);
        var podman = new Podman(box);
        box.OnTeardown("podman reset", () => podman.ResetAsync());
        box.OnTeardown("appliance stacks", async () =>
        {
            foreach (string stack in engine.ListStacks())
            {
                await engine.DownAsync(stack, removeVolumes: true, cancellationToken: CancellationToken.None);
            }
        });

        foreach (string image in images)
        {
            await store.PullAsync(image, cancellationToken: cancellationToken);
            await podman.CheckAsync(inNas: false, "pull", "-q", "--tls-verify=false", image);
        }

        var appliance = new List<double>();
        var peer = new List<double>();
        for (int round = 0; round <= Rounds; round++)
        {
            ResolvedStack stack = Stack($"{box.Prefix}s{round}", registry.Host);
            var watch = Stopwatch.StartNew();
            await engine.UpAsync(stack, cancellationToken: cancellationToken);
            double a = watch.Elapsed.TotalMilliseconds;
            IReadOnlyList<ServiceStatus> ps = await engine.PsAsync(stack.Name, cancellationToken);
            if (ps.Count != 3 || ps.Any(s => s.Status != ContainerStatus.Running))
            {
                throw new InvalidOperationException($"Appliance: not all running: {string.Join(", ", ps.Select(s => $"{s.Service}={s.Status}"))}");
            }
            await engine.DownAsync(stack.Name, removeVolumes: true, cancellationToken: cancellationToken);

            string net = $"{box.Prefix}p{round}";
            watch.Restart();
            await podman.CheckAsync(inNas: true, "network", "create", net);
            await podman.RunAsync(net, $"{net}-redis", images[0]);
            await podman.RunAsync(net, $"{net}-postgresql", images[1], "-e", $"POSTGRES_PASSWORD={Password}", "-e", "POSTGRES_USER=gitlab",
                "-e", "POSTGRES_DB=gitlabhq_production");
            await podman.RunAsync(net, $"{net}-gitlab", images[2], "-e", "DB_HOST=postgresql", "-e", "REDIS_HOST=redis");
            double p = watch.Elapsed.TotalMilliseconds;
            string running = (await podman.CheckAsync(inNas: true, "ps", "--filter", $"name={net}", "--format", "{{.Names}}")).Stdout;
            if (running.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length != 3)
            {
                throw new InvalidOperationException($"podman: not all running: {running}");
            }
            await podman.CheckAsync(inNas: true, "rm", "-f", "-t", "0", $"{net}-redis", $"{net}-postgresql", $"{net}-gitlab");
            await podman.CheckAsync(inNas: true, "network", "rm", net);

            if (round > 0) // round 0 warms the JIT and the caches of both
            {
                appliance.Add(a);
                peer.Add(p);
            }
        }

        double am = Median(appliance), pm = Median(peer);
        Console.WriteLine($"compare-stack-up: redis + postgresql + gitlab-probe, images present, until all 3 run; median of {Rounds} rounds");
        Console.WriteLine();
        Console.WriteLine("| tool                                              | median   | min      | max      |");
        Console.WriteLine("|---------------------------------------------------|----------|----------|----------|");
        Console.WriteLine($"| Appliance StackEngine.UpAsync (bridge, 3 veth)    | {am,6:0} ms | {appliance.Min(),6:0} ms | {appliance.Max(),6:0} ms |");
        Console.WriteLine($"| podman network create + 3 x podman run -d         | {pm,6:0} ms | {peer.Min(),6:0} ms | {peer.Max(),6:0} ms |");
        Console.WriteLine();
        Console.WriteLine($"ratio Appliance / podman: {am / pm:0.00} (target <= 0.50)");
    }

    private static ResolvedStack Stack(string name, string registry)
    {
        StackLoadResult loaded = StackLoader.LoadFromText($"""
            name: {name}
            services:
              redis:
                image: {registry}/redis:latest
              postgresql:
                image: {registry}/postgresql:latest
                environment:
                  POSTGRES_PASSWORD: {Password}
                  POSTGRES_USER: gitlab
                  POSTGRES_DB: gitlabhq_production
              gitlab:
                image: {registry}/gitlab-probe:latest
                environment:
                  DB_HOST: postgresql
                  REDIS_HOST: redis
            """, "bench-stack.yaml");
        return loaded.Stack ?? throw new InvalidOperationException(string.Join("\n", loaded.Errors));
    }

    private static double Median(List<double> values)
    {
        List<double> sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>Debian's podman with storage of its own under the box; `nsenter --net` (not `ip netns exec`, which hides the cgroup mounts).</summary>
    private sealed class Podman(TestBox box)
    {
        private readonly string[] _global =
        [
            "podman", "--root", Path.Combine(box.TempDir, "podman"), "--runroot", Path.Combine(box.RunDir, "podman"),
            "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", "runc",
        ];

        public async Task<CommandResult> CheckAsync(bool inNas, params string[] args)
        {
            string[] argv = inNas ? ["nsenter", "--net=" + box.Nas.NamespacePath, .. _global, .. args] : [.. _global, .. args];
            return (await Command.RunAsync(argv, TimeSpan.FromMinutes(2), box.Environment)).EnsureSuccess();
        }

        /// <summary>The hard RLIMIT_NOFILE/NPROC here may be below podman's defaults (1048576), so ours are passed on.</summary>
        public Task<CommandResult> RunAsync(string network, string name, string image, params string[] extra) =>
            CheckAsync(inNas: true, ["run", "-d", "--name", name, "--network", network, "--network-alias", name[(name.LastIndexOf('-') + 1)..],
                "--ulimit", $"nofile={HardLimit("Max open files")}", "--ulimit", "nproc=4096:4096", .. extra, image]);

        private static string HardLimit(string name)
        {
            string line = File.ReadLines("/proc/self/limits").First(l => l.StartsWith(name, StringComparison.Ordinal));
            string hard = line[name.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            string value = hard == "unlimited" ? "1048576" : hard;
            return $"{value}:{value}";
        }

        public async Task ResetAsync()
        {
            await Command.RunAsync(["nsenter", "--net=" + box.Nas.NamespacePath, .. _global, "rm", "-a", "-f", "-t", "0"], TimeSpan.FromMinutes(2), box.Environment);
            await Command.RunAsync([.. _global, "system", "reset", "-f"], TimeSpan.FromMinutes(2), box.Environment);
        }
    }
}
