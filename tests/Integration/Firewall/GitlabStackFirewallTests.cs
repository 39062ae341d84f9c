using System.Net;
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
using Appliance.TestSupport.Registry;

namespace Appliance.Integration.Tests.Firewall;

/// <summary>
/// The NAS story with the real gitlab-shaped stack (tests/stacks/gitlab-probe on runc): behind a
/// deny-by-default host with br_netfilter, gitlab-probe gives up on its database until Appliance's
/// rules are in; then it is healthy and its published ports answer by exposure.
/// </summary>
[Collection(RegistryFixture.Collection)]
public sealed class GitlabStackFirewallTests(RegistryFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task GitlabProbe_BehindDenyByDefaultHost_GivesUpWithout_AndIsHealthyWithAppliancesRules()
    {
        await using TestBox box = await TestBox.CreateAsync(withWan: true);
        string state = Path.Combine(box.TempDir, "state");
        var images = new ImageStore(new ImageStoreOptions { Root = Path.Combine(state, "images") });
        var runtime = new RuncRuntime(new RuntimeOptions { StateDirectory = state, RunDirectory = box.RunDir, ToolEnvironment = box.Environment });
        var network = new NetworkManager(box.Nas.Namespace);
        var options = new EngineOptions
        {
            StateDirectory = state,
            RunDirectory = box.RunDir,
            HostNamespace = box.Nas.Namespace,
            ContainerIdPrefix = box.Prefix + "-",
            DependencyTimeout = TimeSpan.FromMinutes(2),
        };
        // First without a firewall (the box as it is), later the same engine state with Appliance's firewall.
        var engine = new StackEngine(options, runtime, images, network);
        box.OnTeardown("image store", () => { images.Dispose(); network.Dispose(); return Task.CompletedTask; });
        FirewallCoordinator? firewall = null;
        box.OnTeardown("stacks down", async () =>
        {
            foreach (string name in engine.ListStacks())
            {
                await engine.DownAsync(name, removeVolumes: true);
            }
            if (firewall is not null)
            {
                await firewall.DisposeAsync();
            }
        });
        var nas = new NasHost(box);
        await nas.EnableBrNetfilterAsync();
        await nas.LoadHostFirewallAsync(withMarkRule: true);
        ResolvedStack stack = Load(fixture.Registry.Host);

        // 1. Without Appliance's rules: the bridged frames hit the host's forward drop; gitlab gives up.
        await engine.UpAsync(stack);
        await Poll.UntilAsync(async () => (await LogTextAsync(engine, stack.Name, "gitlab")).Contains("did not answer after 3 tries; giving up"),
            Timeout, () => "gitlab-probe did not give up on its database");

        // 2. With them: the engine opens the stack's firewall (subnet, published ports) before its containers start.
        await engine.DownAsync(stack.Name);
        var backend = new NftablesBackend(new NftablesBackendOptions
        {
            Namespace = box.Nas.Namespace,
            StateDirectory = Path.Combine(box.RunDir, "firewall"),
        });
        firewall = new FirewallCoordinator(backend, new FirewallIntent { LanSubnets = [IPNetwork.Parse(TestBox.LanSubnet)] });
        engine = new StackEngine(options, runtime, images, network, firewall);
        await engine.UpAsync(stack);
        ResolvedHealthcheck check = stack.FindService("gitlab")!.Healthcheck!;
        await Poll.UntilAsync(async () => (await engine.ExecAsync(stack.Name, "gitlab", check.Test, check.Timeout)).Succeeded, Timeout,
            () => "gitlab-probe never became healthy behind Appliance's rules");
        string logs = await LogTextAsync(engine, stack.Name, "gitlab");
        string db = (await engine.PsAsync(stack.Name)).Single(s => s.Service == "postgresql").Address!;

        Assert.Contains("PostgreSQL at postgresql:5432 is ready", logs);
        Assert.StartsWith("SSH-2.0-gitlab-probe", await TestBox.TryConnectTcpAsync(box.Laptop, TestBox.NasLanAddress, 10022, TimeSpan.FromSeconds(5)));
        Assert.NotNull(await TestBox.TryConnectTcpAsync(box.Laptop, TestBox.NasLanAddress, 10080, TimeSpan.FromSeconds(5)));
        string?[] closed = await Task.WhenAll(
            TestBox.TryConnectTcpAsync(box.WanClient!, TestBox.NasWanAddress, 10022, TimeSpan.FromSeconds(1.5)),
            TestBox.TryConnectTcpAsync(box.WanClient!, TestBox.NasWanAddress, 10080, TimeSpan.FromSeconds(1.5)),
            TestBox.TryConnectTcpAsync(box.Laptop, TestBox.NasLanAddress, 5432, TimeSpan.FromSeconds(1.5)),
            TestBox.TryConnectTcpAsync(box.Laptop, db, 5432, TimeSpan.FromSeconds(1.5)));
        Assert.All(closed, Assert.Null);
        Assert.Empty(await backend.FindForeignBlockersAsync());

        // Down closes it again: the stack's elements are gone from Appliance's table.
        await engine.DownAsync(stack.Name);
        Assert.Empty(firewall.Intent.Stacks);
        Assert.DoesNotContain("ap-gitlab-probe", (await box.ExecAsync(box.Nas, "nft", "list", "set", "inet", "appliance", "bridges")).Stdout);
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
