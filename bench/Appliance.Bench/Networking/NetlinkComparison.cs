using System.Diagnostics;
using System.Net;
using System.Text;
using Appliance.Netfilter.Linux;
using Appliance.Orchestrator.Networking;
using Appliance.TestSupport;

namespace Appliance.Bench.Networking;

/// <summary>
/// `compare-netlink`: a bridge with its gateway address plus 50 containers wired to it (veth
/// pair, host end on the bridge and up, peer as eth0 in the container's namespace, loopback and
/// eth0 up, address, default route) — with Appliance's NetworkManager (rtnetlink in process),
/// with one `ip` process per step, and with `ip -batch` (one batch for the host namespace plus
/// one per container namespace, since a batch line cannot switch namespace). All in throwaway
/// namespaces PREFIX-bench (the host) and PREFIX-bench-cNN (the containers), removed at the end.
/// Namespace creation is set-up, outside the timings, and the same for all three.
/// </summary>
public sealed class NetlinkComparison : IComparison
{
    private const int Containers = 50;
    private const int Rounds = 7;
    private const string Stack = "bench";
    private static readonly IPNetwork Subnet = IPNetwork.Parse("10.88.0.0/24");

    public string Name => "compare-netlink";

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        string prefix = TestPrefix.New();
        string host = prefix + "-bench";
        string[] containers = Enumerable.Range(0, Containers).Select(i => $"{prefix}-bench-c{i:00}").ToArray();
        var created = new List<string>();
        try
        {
            foreach (string ns in containers.Prepend(host))
            {
                await Command.CheckAsync("ip", "netns", "add", ns);
                created.Add(ns);
            }
            var methods = new (string Name, string Processes, Func<Task> Run)[]
            {
                ("Appliance, AttachContainerAsync (one by one)", "0", () => ApplianceAsync(host, containers, one: true, cancellationToken)),
                ("Appliance, AttachContainersAsync (one call)", "0", () => ApplianceAsync(host, containers, one: false, cancellationToken)),
                ("ip, one process per step", $"{3 + 7 * Containers}", () => IpPerStepAsync(host, containers)),
                ("ip -batch (host + one per container)", $"{1 + Containers}", () => IpBatchAsync(host, containers)),
            };
            // Rounds interleave the methods, so load from elsewhere on the machine hits all alike.
            var times = methods.ToDictionary(m => m.Name, _ => new List<double>());
            var cpu = methods.ToDictionary(m => m.Name, _ => new List<double>());
            for (int round = 0; round <= Rounds; round++)
            {
                foreach ((string name, string _, Func<Task> run) in methods)
                {
                    double cpuBefore = CpuTime.SelfAndChildrenMilliseconds();
                    var watch = Stopwatch.StartNew();
                    await run();
                    watch.Stop();
                    double cpuUsed = CpuTime.SelfAndChildrenMilliseconds() - cpuBefore;
                    await VerifyAndResetAsync(host, containers, name, cancellationToken);
                    if (round > 0)
                    {
                        times[name].Add(watch.Elapsed.TotalMilliseconds); // round 0 warms up (JIT, page cache)
                        cpu[name].Add(cpuUsed);
                    }
                }
            }
            var medians = times.ToDictionary(t => t.Key, t => t.Value.Order().ElementAt(t.Value.Count / 2));
            var best = times.ToDictionary(t => t.Key, t => t.Value.Min());
            var cpuMedians = cpu.ToDictionary(t => t.Key, t => t.Value.Order().ElementAt(t.Value.Count / 2));
            // The ratios are against the one call, the path `stack up` uses (methods[1]).
            string reference = methods[1].Name;
            double appliance = medians[reference];
            double applianceBest = best[reference];
            Console.WriteLine($"compare-netlink: bridge + {Containers} veth pairs into {Containers} namespaces; {Rounds} rounds after a warm-up, methods interleaved");
            Console.WriteLine();
            double applianceCpu = cpuMedians[reference];
            Console.WriteLine("Wall time is what a user waits; CPU time (user + system, this process and its children) is less");
            Console.WriteLine($"sensitive to other load on the machine. Load average at the end: {File.ReadAllText("/proc/loadavg").Split(' ')[0]}.");
            Console.WriteLine();
            Console.WriteLine("| Method | Processes | Wall, median | Wall, best | CPU, median | Wall vs Appliance one call (median / best) | CPU vs Appliance one call |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
            foreach ((string name, string processes, _) in methods)
            {
                Console.WriteLine($"| {name} | {processes} | {medians[name]:0.0} ms | {best[name]:0.0} ms | {cpuMedians[name]:0.0} ms | " +
                    $"{medians[name] / appliance:0.0}x / {best[name] / applianceBest:0.0}x | {cpuMedians[name] / applianceCpu:0.0}x |");
            }
        }
        finally
        {
            foreach (string ns in created.AsEnumerable().Reverse())
            {
                CommandResult result = await Command.RunAsync("ip", "netns", "del", ns);
                if (!result.Succeeded)
                {
                    Console.Error.WriteLine($"cleanup: ip netns del {ns}: {result.Stderr.Trim()}");
                }
            }
        }
    }

    private static IPAddress AddressOf(int i) => Ipv4Host(i + 2);

    private static IPAddress Ipv4Host(int n) => IPAddress.Parse($"10.88.0.{n}");

    private static async Task ApplianceAsync(string host, string[] containers, bool one, CancellationToken cancellationToken)
    {
        await using var manager = new NetworkManager(NetworkNamespace.Named(host));
        StackNetwork network = await manager.CreateStackNetworkAsync(Stack, Subnet, cancellationToken);
        if (one)
        {
            for (int i = 0; i < containers.Length; i++)
            {
                await manager.AttachContainerAsync(network, $"c{i:00}", NetworkNamespace.Named(containers[i]).Path, AddressOf(i), cancellationToken);
            }
        }
        else
        {
            await manager.AttachContainersAsync(network,
                containers.Select((ns, i) => new ContainerEndpoint($"c{i:00}", NetworkNamespace.Named(ns).Path, AddressOf(i))).ToList(),
                cancellationToken);
        }
    }

    // The ip sides run as a shell script, the way a user would script them: `sh` forks one `ip`
    // per line. (Spawning each from .NET would add .NET's own process start-up cost to ip's figure.)
    private static Task IpPerStepAsync(string host, string[] containers)
    {
        string bridge = InterfaceNames.Bridge(Stack);
        var script = new StringBuilder("set -e\n");
        script.AppendLine($"ip -n {host} link add {bridge} type bridge");
        script.AppendLine($"ip -n {host} addr add 10.88.0.1/24 dev {bridge}");
        script.AppendLine($"ip -n {host} link set {bridge} up");
        for (int i = 0; i < containers.Length; i++)
        {
            string veth = InterfaceNames.HostVeth(Stack, $"c{i:00}");
            script.AppendLine($"ip -n {host} link add {veth} type veth peer name eth0 netns {containers[i]}");
            script.AppendLine($"ip -n {host} link set {veth} master {bridge}");
            script.AppendLine($"ip -n {host} link set {veth} up");
            script.AppendLine($"ip -n {containers[i]} link set lo up");
            script.AppendLine($"ip -n {containers[i]} addr add {AddressOf(i)}/24 dev eth0");
            script.AppendLine($"ip -n {containers[i]} link set eth0 up");
            script.AppendLine($"ip -n {containers[i]} route add default via 10.88.0.1");
        }
        return ShellAsync(script.ToString());
    }

    private static Task IpBatchAsync(string host, string[] containers)
    {
        string bridge = InterfaceNames.Bridge(Stack);
        var script = new StringBuilder("set -e\n");
        script.AppendLine($"ip -n {host} -batch - <<EOF");
        script.AppendLine($"link add {bridge} type bridge");
        script.AppendLine($"addr add 10.88.0.1/24 dev {bridge}");
        script.AppendLine($"link set {bridge} up");
        for (int i = 0; i < containers.Length; i++)
        {
            string veth = InterfaceNames.HostVeth(Stack, $"c{i:00}");
            script.AppendLine($"link add {veth} type veth peer name eth0 netns {containers[i]}");
            script.AppendLine($"link set {veth} master {bridge} up");
        }
        script.AppendLine("EOF");
        for (int i = 0; i < containers.Length; i++)
        {
            script.AppendLine($"ip -n {containers[i]} -batch - <<EOF");
            script.AppendLine($"link set lo up\naddr add {AddressOf(i)}/24 dev eth0\nlink set eth0 up\nroute add default via 10.88.0.1");
            script.AppendLine("EOF");
        }
        return ShellAsync(script.ToString());
    }

    private static async Task ShellAsync(string script) =>
        (await Command.RunAsync(["sh", "-s"], TimeSpan.FromMinutes(2), stdin: script)).EnsureSuccess();

    /// <summary>Checks every method built the same thing (so no method is timed doing less), then removes it.</summary>
    private static async Task VerifyAndResetAsync(string host, string[] containers, string method, CancellationToken cancellationToken)
    {
        await using var manager = new NetworkManager(NetworkNamespace.Named(host));
        NetworkInspection seen = await manager.InspectAsync(cancellationToken);
        ObservedBridge? bridge = seen.FindBridge(Stack);
        if (bridge is null || bridge.Ports.Count != containers.Length || !bridge.Ports.All(p => p.IsUp) || !bridge.Link.IsUp)
        {
            throw new InvalidOperationException($"{method}: expected bridge {InterfaceNames.Bridge(Stack)} up with {containers.Length} ports up");
        }
        string last = containers[^1];
        using (Rtnetlink inside = await Rtnetlink.OpenAsync(NetworkNamespace.Named(last), cancellationToken))
        {
            bool addressed = inside.ListAddresses().Any(a => a.Address.Equals(AddressOf(containers.Length - 1)));
            bool routed = inside.ListRoutes().Any(r => r.IsDefault && Ipv4Host(1).Equals(r.Gateway));
            if (!addressed || !routed || !inside.GetLink("eth0").IsUp || !inside.GetLink("lo").IsUp)
            {
                throw new InvalidOperationException($"{method}: container {last} is not addressed/routed/up");
            }
        }
        await manager.RemoveStackNetworkAsync(Stack, cancellationToken);
    }
}
