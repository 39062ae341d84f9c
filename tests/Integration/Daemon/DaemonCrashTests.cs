using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Netfilter.Intent;
using Appliance.Netfilter.Nftables;
using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Reconcile;
using ContainerState = Appliance.Orchestrator.Runtime.ContainerState;
using Appliance.Orchestrator.Runtime;
using Appliance.TestSupport;
using Appliance.TestSupport.Registry;
using Appliance.Web.Cli;
using Appliance.Web.Hosting;
using Xunit.Abstractions;

namespace Appliance.Integration.Tests.Daemon;

/// <summary>
/// Issue 9's fault injection: the daemon (real engine, nftables in the box's nas) is SIGKILLed after each step of a deploy of the
/// gitlab-shaped stack (<see cref="TestCrashPoint"/>), and the box is "rebooted" under a running daemon. After each, a new daemon
/// on the same state dir must end with every stack fully up or fully rolled back, nothing leaked, the other stacks untouched.
/// </summary>
[Collection(RegistryFixture.Collection)]
public sealed class DaemonCrashTests(RegistryFixture fixture, ITestOutputHelper output)
{
    private const string Gitlab = "gitlab";
    private static readonly string[] GitlabServices = ["gitlab", "postgresql", "redis"];
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Every crash point of a deploy, from the product's own lists: the plan's steps, and the engine's steps inside `up`
    /// (each the first service to finish it). One box and one state dir for all: each round deploys the stack with the
    /// daemon set to die after that step, restarts the daemon, checks, and removes the stack for the next round.
    /// </summary>
    [Fact]
    public async Task Deploy_KilledAfterEachStep_EndsFullyUpOrRolledBack_NothingLeaks_OtherStackUntouched()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonEngine view = DaemonEngine.TakeDownAtTeardown(box);
        DaemonProcess daemon = await StartAsync(box);
        await DeployAsync(daemon, "other", Busybox("always", 18080), expectSuccess: true);
        ContainerState other = (await view.Runtime.InspectAsync(view.Engine.ContainerId("other", "web")))!;
        Assert.True(other.IsRunning);
        await daemon.StopAsync(9, TimeSpan.FromSeconds(30));

        string[] steps = [.. PlanStep.DeployPlan, .. EngineSteps.Up.Select(s => s.ToString())];
        foreach (string step in steps)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            DaemonProcess crashing = await StartAsync(box, new Dictionary<string, string> { [TestCrashPoint.EnvironmentVariable] = $"{Gitlab}:{step}" });
            OperationResponse? answer = await TryDeployAsync(crashing, Gitlab, GitlabStack(), Parameters);
            Assert.True(answer is null, $"the deploy answered ({answer?.Message}) although the daemon was to die after '{step}'");
            Assert.Contains($"test crash point: SIGKILL after step '{step}' of '{Gitlab}'", crashing.Process.Output);

            DaemonProcess recovering = await StartAsync(box);
            using DaemonClient client = recovering.Client();
            string status = "";
            await Poll.UntilAsync(async () => (status = (await client.GetAsync<DeploymentSummary[]>($"api/daemon/stacks/{Gitlab}/deployments"))[0].Status)
                    is "active" or "rolled-back",
                Recovery, () => $"after a crash after '{step}' the deploy is still '{status}'. Daemon output:\n{recovering.Process.Output}");
            StackSummary[] stacks = await client.GetAsync<StackSummary[]>("api/daemon/stacks");
            if (status == "active")
            {
                StackSummary gitlab = Assert.Single(stacks, s => s.Name == Gitlab);
                Assert.All(gitlab.Services, s => Assert.Equal("running", s.State));
                Assert.Equal(GitlabServices, gitlab.Services.Select(s => s.Name).Order(StringComparer.Ordinal));
                await AssertOnlyAsync(box, view, new() { ["other"] = ["web"], [Gitlab] = GitlabServices });
            }
            else
            {
                Assert.DoesNotContain(stacks, s => s.Name == Gitlab);
                await AssertOnlyAsync(box, view, new() { ["other"] = ["web"] });
            }
            ContainerState otherNow = (await view.Runtime.InspectAsync(other.Id))!;
            Assert.True(otherNow.IsRunning && otherNow.Pid == other.Pid, $"the other stack's container was touched (pid {other.Pid} -> {otherNow.Pid}, {otherNow.Status})");
            output.WriteLine($"crash after '{step}': {status} after restart; round took {clock.Elapsed.TotalSeconds:0.0} s");

            if (status == "active")
            {
                using HttpResponseMessage removed = await recovering.RawClient().DeleteAsync($"api/daemon/stacks/{Gitlab}?volumes=true");
                Assert.True(removed.IsSuccessStatusCode, $"{(int)removed.StatusCode}: {await removed.Content.ReadAsStringAsync()}");
            }
            await AssertOnlyAsync(box, view, new() { ["other"] = ["web"] });
            await recovering.StopAsync(9, TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>
    /// A reboot, as far as a test can make one: the daemon dies, every container is killed and deleted, the overlay and
    /// namespace mounts go, the run dir is emptied and the nas namespace (bridges, veths, ruleset) is made again, empty,
    /// under the same name. The state dir stays. A new daemon brings back the stacks whose restart policies start at boot,
    /// at the same addresses and with the same firewall rules; the `restart: "no"` stack stays down.
    /// </summary>
    [Fact]
    public async Task Reboot_AlwaysAndUnlessStoppedStacksComeBack_SameAddressesAndRules_RestartNoStackStaysDown()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonEngine view = DaemonEngine.TakeDownAtTeardown(box);
        string[] arguments = ["--firewall-backend", "nftables", "--reconcile-interval", "1"];
        DaemonProcess daemon = await StartAsync(box, arguments: arguments);
        await DeployAsync(daemon, Gitlab, GitlabStack(), expectSuccess: true, Parameters);
        await DeployAsync(daemon, "web", Busybox("unless-stopped", 18081), expectSuccess: true);
        await DeployAsync(daemon, "oneshot", Busybox("\"no\"", 18082), expectSuccess: true);
        Dictionary<string, string> addresses = await AddressesAsync(box, view, [Gitlab, "web", "oneshot"]);
        string rules = await AppliancesTableAsync(box);
        Assert.Contains(InterfaceNames.Bridge("oneshot"), rules);

        await RebootAsync(box, daemon, view);
        Assert.Null(await AppliancesTableOrNullAsync(box));

        DaemonProcess again = await StartAsync(box, arguments: arguments);
        using DaemonClient client = again.Client();
        await Poll.UntilAsync(async () => (await client.GetAsync<StackSummary[]>("api/daemon/stacks"))
                .Where(s => s.Name is Gitlab or "web").SelectMany(s => s.Services).Count(s => s.State == "running") == GitlabServices.Length + 1,
            Recovery, () => $"gitlab and web did not come back after the reboot. Daemon output:\n{again.Process.Output}");
        await Poll.UntilAsync(async () => (await client.GetAsync<EventResponse[]>("api/daemon/events?stack=oneshot&max=50"))
                .Any(e => e.Message.StartsWith("not started after the daemon started", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), () => "no event says the restart: \"no\" stack was left down");

        // The same addresses, in the containers' own namespaces; the same rules (the stopped stack's too: its subnet and ports stay reserved).
        Dictionary<string, string> after = await AddressesAsync(box, view, [Gitlab, "web"]);
        Assert.Equal(addresses.Where(a => !a.Key.StartsWith("oneshot/", StringComparison.Ordinal)).OrderBy(a => a.Key), after.OrderBy(a => a.Key));
        string? rulesAfter = null;
        await Poll.UntilAsync(async () => (rulesAfter = await AppliancesTableOrNullAsync(box)) == rules, TimeSpan.FromSeconds(10),
            () => $"Appliance's table differs after the reboot.\nbefore: {rules}\nafter:  {rulesAfter}");

        // Three reconcile passes (1 s each) later, the restart: "no" stack is still down; the others still run on the same containers.
        int[] pids = await PidsAsync(view, [Gitlab, "web"]);
        DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        while (DateTime.UtcNow < until)
        {
            StackSummary oneshot = Assert.Single(await client.GetAsync<StackSummary[]>("api/daemon/stacks"), s => s.Name == "oneshot");
            Assert.All(oneshot.Services, s => Assert.NotEqual("running", s.State));
            await Task.Delay(200);
        }
        Assert.Equal(pids, await PidsAsync(view, [Gitlab, "web"]));
        await AssertOnlyAsync(box, view, new() { [Gitlab] = GitlabServices, ["web"] = ["web"] }, stoppedStacks: ["oneshot"]);
    }

    private static readonly Dictionary<string, string> Parameters = new() { ["DB_PASS"] = "probe-secret-0123", ["DB_TRIES"] = "30" };

    private static Task<DaemonProcess> StartAsync(TestBox box, IReadOnlyDictionary<string, string>? environment = null, string[]? arguments = null) =>
        DaemonProcess.StartAsync(box, extraArguments: arguments ?? ["--firewall-backend", "nftables"], environment: environment);

    /// <summary>tests/stacks/gitlab-probe from the local registry, with a named volume on redis (so `up` has a CreateVolume step), and
    /// a 1 s stop grace period (the test images do not all stop on SIGTERM; each removal would otherwise wait 10 s).</summary>
    private string GitlabStack()
    {
        string text = File.ReadAllText(Appliance.Integration.Tests.Engine.EngineTestBed.StackFile("gitlab-probe"))
            .Replace("${REGISTRY:-127.0.0.1:5000}", fixture.Registry.Host, StringComparison.Ordinal);
        Assert.Equal(3, text.Split("    restart: always\n").Length - 1);
        text = text.Replace("    restart: always\n", "    restart: always\n    stop_grace_period: 1s\n", StringComparison.Ordinal);
        const string redis = "    image: " + "REGISTRY/redis:latest\n";
        string anchor = redis.Replace("REGISTRY", fixture.Registry.Host, StringComparison.Ordinal);
        Assert.Contains(anchor, text);
        return text.Replace(anchor, anchor + "    volumes:\n      - redis-data:/data\n", StringComparison.Ordinal) + "\nvolumes:\n  redis-data: {}\n";
    }

    private string Busybox(string restart, int port) => $"""
        services:
          web:
            image: {fixture.Registry.Reference(TestImages.Busybox)}
            command: ["sh", "-c", "exec sleep 3600"]
            restart: {restart}
            stop_grace_period: 1s
            ports:
              - "{port}:8080"
        """;

    private static async Task DeployAsync(DaemonProcess daemon, string stack, string file, bool expectSuccess, Dictionary<string, string>? parameters = null)
    {
        OperationResponse? result = await TryDeployAsync(daemon, stack, file, parameters);
        Assert.True(result is not null && result.Succeeded == expectSuccess, $"deploy of '{stack}': {result?.Message ?? "no answer"}\n{daemon.Process.Output}");
    }

    /// <summary>The deploy's answer, or null when the daemon died before answering.</summary>
    private static async Task<OperationResponse?> TryDeployAsync(DaemonProcess daemon, string stack, string file, Dictionary<string, string>? parameters)
    {
        using HttpClient http = daemon.RawClient();
        http.Timeout = TimeSpan.FromMinutes(3);
        try
        {
            using HttpResponseMessage response = await http.PutAsJsonAsync($"api/daemon/stacks/{stack}", new DeployRequest(file, parameters));
            string body = await response.Content.ReadAsStringAsync();
            return JsonSerializer.Deserialize<OperationResponse>(body, JsonBody.Options) is { Stack: not null } result ? result
                : throw new InvalidOperationException($"{(int)response.StatusCode}: {body}");
        }
        catch (HttpRequestException)
        {
            // The connection broke: the daemon must have died (it is given 10 s to be reaped).
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await daemon.Process.WaitForExitAsync(cts.Token);
            return null;
        }
    }

    /// <summary>STACK/SERVICE -> the address on eth0 inside the container's network namespace, checked against the engine's record.</summary>
    private static async Task<Dictionary<string, string>> AddressesAsync(TestBox box, DaemonEngine view, string[] stacks)
    {
        var addresses = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (ServiceStatus service in (await view.Engine.PsAsync()).Where(s => stacks.Contains(s.Stack)))
        {
            string netns = Path.Combine(box.RunDir, "netns", service.ContainerId);
            CommandResult ip = (await Command.RunAsync("nsenter", $"--net={netns}", "ip", "-j", "-4", "addr", "show", "dev", "eth0")).EnsureSuccess();
            string actual = JsonNode.Parse(ip.Stdout)![0]!["addr_info"]![0]!["local"]!.GetValue<string>();
            Assert.Equal(service.Address, actual);
            addresses[$"{service.Stack}/{service.Service}"] = actual;
        }
        Assert.Equal(stacks.Order(StringComparer.Ordinal), addresses.Keys.Select(k => k.Split('/')[0]).Distinct().Order(StringComparer.Ordinal));
        return addresses;
    }

    private static async Task<int[]> PidsAsync(DaemonEngine view, string[] stacks) =>
        [.. (await view.Runtime.ListAsync()).Where(c => stacks.Any(s => c.Id.StartsWith(view.Engine.ContainerId(s, ""), StringComparison.Ordinal)))
            .OrderBy(c => c.Id, StringComparer.Ordinal).Select(c => c.Pid)];

    private static async Task<string> AppliancesTableAsync(TestBox box) =>
        await AppliancesTableOrNullAsync(box) ?? throw new InvalidOperationException("Appliance's table is missing from the nas ruleset");

    /// <summary>Appliance's table in the nas, read through libnftables' JSON API, without handles and with set elements sorted (the kernel lists hash sets in any order).</summary>
    private static async Task<string?> AppliancesTableOrNullAsync(TestBox box)
    {
        await using NftContext nft = await NftContext.CreateAsync(box.Nas.Namespace);
        JsonArray? table = await nft.ListTableAsync(FirewallIntent.DefaultTableName);
        return table is null ? null : Normalize(table)!.ToJsonString();
    }

    private static JsonNode? Normalize(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Where(p => p.Key != "handle").Select(p => KeyValuePair.Create(p.Key,
            p.Key == "elem" && p.Value is JsonArray elements
                ? new JsonArray([.. elements.Select(Normalize).OrderBy(e => e?.ToJsonString(), StringComparer.Ordinal)])
                : Normalize(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Normalize)]),
        _ => node?.DeepClone(),
    };

    /// <summary>
    /// Exactly the things of these stacks exist, nothing else of the daemon's: records, containers, their rootfs mounts and network
    /// namespaces, links in the nas, subnets in IPAM, bridges in Appliance's table. A stopped stack keeps its record, subnet and rules only.
    /// </summary>
    private static async Task AssertOnlyAsync(TestBox box, DaemonEngine view, Dictionary<string, string[]> running, string[]? stoppedStacks = null)
    {
        stoppedStacks ??= [];
        string[] stacks = [.. running.Keys.Concat(stoppedStacks).Order(StringComparer.Ordinal)];
        string[] ids = [.. running.SelectMany(s => s.Value.Select(service => view.Engine.ContainerId(s.Key, service))).Order(StringComparer.Ordinal)];
        string state = DaemonProcess.StateDirOf(box);
        var problems = new List<string>();
        void Same(string what, IEnumerable<string> expected, IEnumerable<string> actual)
        {
            string[] e = [.. expected.Order(StringComparer.Ordinal)];
            string[] a = [.. actual.Order(StringComparer.Ordinal)];
            if (!e.SequenceEqual(a))
            {
                problems.Add($"{what}: expected [{string.Join(", ", e)}], found [{string.Join(", ", a)}]");
            }
        }

        Same("engine records", stacks, view.Engine.ListStacks());
        Same("runc containers", ids, (await view.Runtime.ListAsync()).Select(c => c.Id));
        string netnsDir = Path.Combine(box.RunDir, "netns");
        Same("container network namespaces", ids, Directory.Exists(netnsDir) ? Directory.EnumerateFiles(netnsDir).Select(f => Path.GetFileName(f)) : []);
        string[] mounts = [.. (await File.ReadAllLinesAsync("/proc/self/mountinfo")).Select(l => l.Split(' ')[4])];
        Same("rootfs mounts", ids, mounts.Where(m => m.StartsWith(Path.Combine(state, "rootfs") + "/", StringComparison.Ordinal))
            .Select(m => Path.GetFileName(Path.GetDirectoryName(m))!));
        Same("netns mounts", ids, mounts.Where(m => m.StartsWith(netnsDir + "/", StringComparison.Ordinal)).Select(m => Path.GetFileName(m)));
        CommandResult links = (await Command.RunAsync("ip", "-j", "-n", box.Nas.NamespaceName, "link", "show")).EnsureSuccess();
        Same("links in the nas", running.Keys.Select(InterfaceNames.Bridge).Concat(running.SelectMany(s => s.Value.Select(service => InterfaceNames.HostVeth(s.Key, service)))),
            JsonNode.Parse(links.Stdout)!.AsArray().Select(l => l!["ifname"]!.GetValue<string>()).Where(n => n is not ("lo" or "lan0" or "wan0")));
        string ipam = Path.Combine(state, "engine", "ipam.json");
        Same("IPAM subnets", stacks, File.Exists(ipam) ? JsonNode.Parse(await File.ReadAllTextAsync(ipam))!.AsObject().Select(p => p.Key) : []);
        string? table = await AppliancesTableOrNullAsync(box);
        Same("bridges in Appliance's table", stacks.Select(InterfaceNames.Bridge),
            table is null ? [] : System.Text.RegularExpressions.Regex.Matches(table, "\"(" + InterfaceNames.BridgePrefix + "[^\"]+)\"").Select(m => m.Groups[1].Value).Distinct());
        Assert.True(problems.Count == 0, "left behind or missing:\n  " + string.Join("\n  ", problems));
    }

    /// <summary>Everything volatile goes; the state dir stays (see the test's summary).</summary>
    private static async Task RebootAsync(TestBox box, DaemonProcess daemon, DaemonEngine view)
    {
        await daemon.StopAsync(9, TimeSpan.FromSeconds(30));
        string runc = Path.Combine(box.RunDir, "runc");
        foreach (ContainerState container in await view.Runtime.ListAsync())
        {
            // runc only, not the runtime's RemoveAsync: a reboot keeps the bundles (logs, config) under the state dir.
            (await Command.RunAsync("runc", "--root", runc, "delete", "--force", container.Id)).EnsureSuccess();
            string conmonPid = Path.Combine(container.Bundle, "conmon.pid");
            if (File.Exists(conmonPid) && int.TryParse(await File.ReadAllTextAsync(conmonPid), out int conmon))
            {
                await Poll.UntilAsync(() => !File.Exists($"/proc/{conmon}/cmdline") || File.ReadAllText($"/proc/{conmon}/cmdline").Length == 0,
                    TimeSpan.FromSeconds(10), () => $"conmon {conmon} of {container.Id} did not exit after its container was deleted");
            }
        }
        string state = DaemonProcess.StateDirOf(box);
        string[] mounts = [.. (await File.ReadAllLinesAsync("/proc/self/mountinfo")).Select(l => l.Split(' ')[4])
            .Where(m => m.StartsWith(state + "/", StringComparison.Ordinal) || m.StartsWith(box.RunDir + "/", StringComparison.Ordinal))
            .OrderByDescending(m => m.Length)];
        foreach (string mount in mounts)
        {
            (await Command.RunAsync("umount", mount)).EnsureSuccess();
        }
        Directory.Delete(box.RunDir, recursive: true);
        Directory.CreateDirectory(box.RunDir);
        await box.RecreateNasNamespaceAsync();
    }
}
