using System.Diagnostics;
using System.Net;
using Appliance.Netfilter.Intent;
using Appliance.Netfilter.Linux;
using Appliance.Netfilter.Nftables;
using Appliance.TestSupport;

namespace Appliance.Bench;

/// <summary>
/// compare-nft: Appliance's nftables backend (libnftables JSON, in process) against `nft -f` of
/// the same rules, in a throwaway namespace tbXXXXXX-bench (removed at the end):
/// 1. a whole ruleset for 100 stacks x 5 published ports in one transaction;
/// 2. one more published port with 1,000 already published (element add).
/// </summary>
public sealed class NftComparison : IComparison
{
    private const int Runs = 15;
    private const int PublishRuns = 100;

    public string Name => "compare-nft";

    public static FirewallIntent Intent(int stacks, int portsPerStack) => new()
    {
        LanSubnets = [IPNetwork.Parse("192.168.0.0/16")],
        HostServices = [new HostService { Name = HostService.AdminUiName, Port = 8443, AllowedFrom = Exposure.Lan }],
        Stacks = Enumerable.Range(0, stacks).Select(s => new StackNetwork
        {
            Name = $"stack{s}",
            Bridge = $"ap-s{s}",
            Subnet = IPNetwork.Parse($"10.{88 + s / 256}.{s % 256}.0/24"),
            PublishedPorts = Enumerable.Range(0, portsPerStack).Select(p => new PublishedPort
            {
                HostPort = 20000 + s * portsPerStack + p,
                ContainerAddress = IPAddress.Parse($"10.{88 + s / 256}.{s % 256}.{2 + p}"),
                ContainerPort = 80 + p,
                Exposure = p == 0 ? Exposure.Internet : Exposure.Lan,
            }).ToList(),
        }).ToList(),
    };

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        string ns = TestPrefix.New() + "-bench";
        string dir = Path.Combine(Path.GetTempPath(), ns);
        Directory.CreateDirectory(dir);
        await Command.CheckAsync("ip", "netns", "add", ns);
        try
        {
            await RunInAsync(ns, dir, cancellationToken);
        }
        finally
        {
            await Command.RunAsync("ip", "netns", "del", ns);
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task RunInAsync(string ns, string dir, CancellationToken cancellationToken)
    {
        var options = new NftablesBackendOptions
        {
            Namespace = NetworkNamespace.Named(ns),
            DriftPollInterval = TimeSpan.Zero,
            StateDirectory = Path.Combine(dir, "state"),
        };
        FirewallIntent full = Intent(100, 5);

        // 1. Whole ruleset, 100 stacks x 5 ports: compile + one transaction (Appliance) vs nft -f (same rules, text).
        await using var backend = new NftablesBackend(options);
        await backend.ApplyAsync(full, wholeTable: true, cancellationToken);
        string text = (await Command.CheckAsync("ip", "netns", "exec", ns, "nft", "list", "table", "inet", "appliance")).Stdout;
        string textFile = Path.Combine(dir, "ruleset.nft");
        await File.WriteAllTextAsync(textFile, "add table inet appliance\ndelete table inet appliance\n" + text, cancellationToken);
        string jsonFile = Path.Combine(dir, "ruleset.json");
        await File.WriteAllTextAsync(jsonFile, NftCompiler.Compile(full).FullTransaction().ToJsonString(), cancellationToken);
        int elements = NftCompiler.Compile(full).ElementCount;

        var appliance = new List<double>();
        var nftText = new List<double>();
        var nftJson = new List<double>();
        for (int i = 0; i < Runs; i++)
        {
            appliance.Add(await TimeAsync(() => backend.ApplyAsync(full, wholeTable: true, cancellationToken)));
            nftText.Add(await TimeAsync(() => Command.CheckAsync("ip", "netns", "exec", ns, "nft", "-f", textFile)));
            nftJson.Add(await TimeAsync(() => Command.CheckAsync("ip", "netns", "exec", ns, "nft", "-j", "-f", jsonFile)));
        }
        // The peer's process start is part of what a user pays; show it separately for fairness.
        var nftNoop = new List<double>();
        for (int i = 0; i < Runs; i++)
        {
            nftNoop.Add(await TimeAsync(() => Command.CheckAsync("ip", "netns", "exec", ns, "nft", "list", "tables")));
        }

        // 2. One more port with 1,000 published: element add (Appliance) vs nft -f of the same element adds.
        FirewallIntent thousand = Intent(200, 5);
        await backend.ApplyAsync(thousand, wholeTable: true, cancellationToken);
        var publish = new List<double>();
        var nftPublish = new List<double>();
        for (int i = 0; i < PublishRuns; i++)
        {
            var port = new PublishedPort
            {
                HostPort = 40000 + i, ContainerAddress = IPAddress.Parse("10.88.7.200"), ContainerPort = 8000 + i, Exposure = Exposure.Lan,
            };
            publish.Add(await TimeAsync(() => backend.PublishPortAsync("stack7", port, cancellationToken)));
        }
        var raw = new List<double>();
        var rawPublish = new List<double>();
        {
            await using NftContext ctx = await NftContext.CreateAsync(NetworkNamespace.Named(ns), cancellationToken);
            for (int i = 0; i < PublishRuns; i++)
            {
                string json = "{\"nftables\":[{\"add\":{\"element\":{\"family\":\"inet\",\"table\":\"appliance\",\"name\":\"dnat_local_any_port\",\"elem\":[[{\"concat\":[\"tcp\"," + (50000 + i) + "]},80]]}}}]}";
                raw.Add(await TimeAsync(() => ctx.RunAsync(json, "bench element add", cancellationToken)));
            }
            for (int i = 0; i < PublishRuns; i++)
            {
                int hostPort = 52000 + i, containerPort = 12000 + i;
                string E(string map, string key, string value) =>
                    "{\"add\":{\"element\":{\"family\":\"inet\",\"table\":\"appliance\",\"name\":\"" + map + "\",\"elem\":[" + (value.Length > 0 ? "[" + key + "," + value + "]" : key) + "]}}}";
                string key = "{\"concat\":[\"tcp\"," + hostPort + "]}";
                string json = "{\"nftables\":[" + string.Join(",",
                    E("dnat_external_any_addr", key, "\"10.88.9.200\""), E("dnat_external_any_port", key, containerPort.ToString()),
                    E("dnat_local_any_addr", key, "\"10.88.9.200\""), E("dnat_local_any_port", key, containerPort.ToString()),
                    E("published_lan", "{\"concat\":[\"10.88.9.200\",\"tcp\"," + containerPort + "]}", "")) + "]}";
                rawPublish.Add(await TimeAsync(() => ctx.RunAsync(json, "bench publish transaction", cancellationToken)));
            }
        }
        for (int i = 0; i < PublishRuns / 5; i++)
        {
            string file = Path.Combine(dir, $"publish{i}.nft");
            int hostPort = 45000 + i, containerPort = 9000 + i;
            await File.WriteAllTextAsync(file,
                $"add element inet appliance dnat_external_any_addr {{ tcp . {hostPort} : 10.88.8.200 }}\n" +
                $"add element inet appliance dnat_external_any_port {{ tcp . {hostPort} : {containerPort} }}\n" +
                $"add element inet appliance dnat_local_any_addr {{ tcp . {hostPort} : 10.88.8.200 }}\n" +
                $"add element inet appliance dnat_local_any_port {{ tcp . {hostPort} : {containerPort} }}\n" +
                $"add element inet appliance published_from {{ 192.168.0.0/16 . 10.88.8.200 . tcp . {containerPort} }}\n", cancellationToken);
            nftPublish.Add(await TimeAsync(() => Command.CheckAsync("ip", "netns", "exec", ns, "nft", "-f", file)));
        }

        double a = Median(appliance), t = Median(nftText), j = Median(nftJson), n = Median(nftNoop), p = Median(publish), q = Median(nftPublish);
        Console.WriteLine($"compare-nft: median of {Runs} runs (publish: {PublishRuns}), namespace {ns}, ruleset of {elements} elements");
        Console.WriteLine($"| Operation | Appliance (libnftables JSON, in process) | nft -f (text) | ratio | nft -j -f (same JSON) |");
        Console.WriteLine($"|---|---|---|---|---|");
        Console.WriteLine($"| whole ruleset, 100 stacks x 5 ports, one transaction | {a:0.00} ms | {t:0.00} ms | {a / t:0.00}x | {j:0.00} ms |");
        Console.WriteLine($"| publish 1 port with 1,000 published (element add) | {p:0.000} ms | {q:0.00} ms | {p / q:0.000}x | |");
        Console.WriteLine($"| (libnftables alone: the same 5 element adds / one map element add, in process) | {Median(rawPublish):0.000} / {Median(raw):0.000} ms | | | |");
        Console.WriteLine($"| (nft process start, `nft list tables`) | | {n:0.00} ms | | |");
        Console.WriteLine($"publish p95 {Percentile(publish, 0.95):0.000} ms, max {publish.Max():0.000} ms; target whole <= 1.2x nft: {(a <= 1.2 * t ? "met" : "MISSED")}; publish < 2 ms: {(p < 2 ? "met" : "MISSED")}");
    }

    private static async Task<double> TimeAsync(Func<Task> work)
    {
        long start = Stopwatch.GetTimestamp();
        await work();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double p)
    {
        List<double> sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
    }
}
