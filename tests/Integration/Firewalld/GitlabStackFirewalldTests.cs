using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using Appliance.Netfilter.Firewalld;
using Appliance.Netfilter.Intent;
using Appliance.Netfilter.Nftables;
using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Firewall;
using Appliance.Orchestrator.Images;
using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Runtime;
using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.Stacks.Resolved;
using Appliance.TestSupport;
using Appliance.TestSupport.Firewalld;
using Appliance.TestSupport.Registry;

namespace Appliance.Integration.Tests.Firewalld;

/// <summary>
/// The NAS story with the real gitlab-shaped stack (tests/stacks/gitlab-probe on runc) and
/// firewalld as the host firewall: with br_netfilter on, gitlab-probe gives up on its database
/// behind firewalld's default zone; with Appliance's firewalld backend it is healthy, its ports
/// answer by exposure, and it stays healthy across `firewall-cmd --reload`.
/// </summary>
[Collection(RegistryFixture.Collection)]
public sealed class GitlabStackFirewalldTests(RegistryFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task GitlabProbe_BehindFirewalld_GivesUpWithout_AndIsHealthyWithAppliancesBackend()
    {
        await using TestBox box = await TestBox.CreateAsync(withWan: true);
        string state = Path.Combine(box.TempDir, "state");
        var images = new ImageStore(new ImageStoreOptions { Root = Path.Combine(state, "images") });
        var runtime = new RuncRuntime(new RuntimeOptions { StateDirectory = state, RunDirectory = box.RunDir, ToolEnvironment = box.Environment });
        var network = new NetworkManager(box.Nas.Namespace);
        var engine = new StackEngine(new EngineOptions
        {
            StateDirectory = state,
            RunDirectory = box.RunDir,
            HostNamespace = box.Nas.Namespace,
            ContainerIdPrefix = box.Prefix + "-",
            DependencyTimeout = TimeSpan.FromMinutes(2),
        }, runtime, images, network);
        box.OnTeardown("image store", () => { images.Dispose(); network.Dispose(); return Task.CompletedTask; });
        box.OnTeardown("stacks down", async () =>
        {
            foreach (string name in engine.ListStacks())
            {
                await engine.DownAsync(name, removeVolumes: true);
            }
        });
        (await box.ExecAsync(box.Nas, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1")).EnsureSuccess();
        FirewalldInBox firewalld = await FirewalldInBox.StartAsync(box);
        ResolvedStack stack = Load(fixture.Registry.Host);

        // 1. firewalld alone: it rejects the bridged frames to the database; gitlab gives up.
        await engine.UpAsync(stack);
        await Poll.UntilAsync(async () => (await LogTextAsync(engine, stack.Name, "gitlab")).Contains("did not answer after 3 tries; giving up"),
            Timeout, () => "gitlab-probe did not give up on its database behind firewalld");

        // 2. With Appliance's firewalld backend (its table + its zone and policies), after a redeploy.
        await using FirewalldBackend backend = await FirewalldBackend.CreateAsync(
            new FirewalldOptions { BusAddress = firewalld.BusAddress },
            new NftablesBackendOptions { Namespace = box.Nas.Namespace, StateDirectory = Path.Combine(box.RunDir, "firewall") });
        await engine.DownAsync(stack.Name);
        await engine.UpAsync(stack);
        await backend.ApplyAsync(await IntentAsync(engine, network, stack));
        ResolvedHealthcheck check = stack.FindService("gitlab")!.Healthcheck!;
        await Poll.UntilAsync(async () => (await engine.ExecAsync(stack.Name, "gitlab", check.Test, check.Timeout)).Succeeded, Timeout,
            () => "gitlab-probe never became healthy behind firewalld with Appliance's backend");
        string logs = await LogTextAsync(engine, stack.Name, "gitlab");
        string db = (await engine.PsAsync(stack.Name)).Single(s => s.Service == "postgresql").Address!;

        Assert.Contains("PostgreSQL at postgresql:5432 is ready", logs);
        Assert.Equal("appliance", await firewalld.FirewallCmdAsync("--get-zone-of-interface=" + (await network.FindStackNetworkAsync(stack.Name))!.BridgeName));
        Assert.StartsWith("SSH-2.0-gitlab-probe", await TestBox.TryConnectTcpAsync(box.Laptop, TestBox.NasLanAddress, 10022, TimeSpan.FromSeconds(5)));
        Assert.NotNull(await TestBox.TryConnectTcpAsync(box.Laptop, TestBox.NasLanAddress, 10080, TimeSpan.FromSeconds(5)));
        string?[] closed = await Task.WhenAll(
            TestBox.TryConnectTcpAsync(box.WanClient!, TestBox.NasWanAddress, 10022, TimeSpan.FromSeconds(1.5)),
            TestBox.TryConnectTcpAsync(box.WanClient!, TestBox.NasWanAddress, 10080, TimeSpan.FromSeconds(1.5)),
            TestBox.TryConnectTcpAsync(box.Laptop, TestBox.NasLanAddress, 5432, TimeSpan.FromSeconds(1.5)),
            TestBox.TryConnectTcpAsync(box.Laptop, db, 5432, TimeSpan.FromSeconds(1.5)));
        Assert.All(closed, Assert.Null);

        // 3. A reload keeps it working: the gitlab container still reaches its database (pg_isready over the bridge).
        await firewalld.FirewallCmdAsync("--reload");
        var sinceReload = Stopwatch.StartNew();
        await Poll.UntilAsync(async () => (await engine.ExecAsync(stack.Name, "gitlab", ["/usr/local/bin/pg_isready", "-h", "postgresql", "-t", "1"], TimeSpan.FromSeconds(3))).Succeeded,
            TimeSpan.FromSeconds(2), () => "gitlab could not reach postgresql within 2 s of a firewalld reload");
        Console.WriteLine($"firewalld: gitlab reached postgresql {sinceReload.ElapsedMilliseconds} ms after firewall-cmd --reload returned");
    }

    private static ResolvedStack Load(string registry)
    {
        StackLoadResult result = StackLoader.LoadFromText(File.ReadAllText(StackFile("gitlab-probe")), "stack.yaml",
            new Dictionary<string, string> { ["REGISTRY"] = registry, ["DB_PASS"] = "probe-secret-0123" });
        Assert.False(result.HasErrors, string.Join("\n", result.Errors));
        ResolvedStack stack = result.Stack!;
        return stack with
        {
            Services = stack.Services.Select(s => s.Name switch
            {
                "postgresql" => s with
                {
                    Environment = [.. s.Environment, new("POSTGRES_PASSWORD", "probe-secret-0123"), new("POSTGRES_USER", "gitlab"), new("POSTGRES_DB", "gitlabhq_production")],
                },
                // Give up after 3 s instead of GitLab's 60 tries, so the failure shows quickly.
                "gitlab" => s with { Environment = [.. s.Environment, new("DB_TRIES", "3")] },
                _ => s,
            }).ToList(),
        };
    }

    private static async Task<FirewallIntent> IntentAsync(StackEngine engine, NetworkManager network, ResolvedStack stack)
    {
        Orchestrator.Networking.StackNetwork bridge = (await network.FindStackNetworkAsync(stack.Name))!;
        ImmutableSortedDictionary<string, IPAddress> addresses = (await engine.PsAsync(stack.Name))
            .ToImmutableSortedDictionary(s => s.Service, s => IPAddress.Parse(s.Address!));
        return new FirewallIntent
        {
            LanSubnets = [IPNetwork.Parse(TestBox.LanSubnet)],
            Stacks = [StackFirewallIntent.For(stack, new StackSubnet(stack.Name, bridge.Subnet, addresses))],
        };
    }

    private static async Task<string> LogTextAsync(StackEngine engine, string stack, string service)
    {
        var lines = new List<string>();
        await foreach (LogLine line in engine.LogsAsync(stack, service, follow: false))
        {
            lines.Add(line.Text);
        }
        return string.Join("\n", lines);
    }

    private static string StackFile(string name)
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
}
