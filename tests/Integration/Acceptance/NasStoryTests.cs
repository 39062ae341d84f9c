using System.Net;
using Appliance.Integration.Tests.Engine;
using Appliance.Integration.Tests.Firewall;
using Appliance.Netfilter.Inspection;
using Appliance.Netfilter.Intent;
using Appliance.Netfilter.Nftables;
using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Firewall;
using Appliance.Orchestrator.Runtime;
using Appliance.Orchestrator.Stacks.Resolved;
using Appliance.TestSupport;
using Appliance.TestSupport.Registry;

namespace Appliance.Integration.Tests.Acceptance;

/// <summary>
/// The acceptance test of issue 7, the NAS story with real packets: the real engine runs the
/// gitlab-shaped test stack (gitlab-probe, postgresql, redis on runc) in a test box's nas, where
/// br_netfilter pushes bridged frames through the IP hooks and a deny-by-default host firewall
/// (a table that is not Appliance's) drops what nobody allowed.
/// </summary>
[Collection(RegistryFixture.Collection)]
public sealed class NasStoryTests(RegistryFixture fixture)
{
    private const int HttpPort = 10080;
    private const int SshPort = 10022;
    private const int SambaPort = 445;
    /// <summary>How long a probe that must fail waits (dropped SYNs time out); probes that must pass get <see cref="Answer"/>.</summary>
    private static readonly TimeSpan Probe = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task WithoutAppliancesRules_GitlabProbeCannotReachPostgresql_AndExitsNamingIt()
    {
        await using EngineTestBed bed = await EngineTestBed.CreateAsync();
        var nas = new NasHost(bed.Box);
        await nas.EnableBrNetfilterAsync();
        await nas.LoadHostFirewallAsync(withMarkRule: true);
        ResolvedStack stack = await LoadStackAsync(dbTries: 3);

        await bed.Engine.UpAsync(stack, bed.Progress);

        Assert.DoesNotContain(bed.Events, e => e.Step == EngineStep.ApplyFirewall);
        await AssertProbeGivesUpOnPostgresqlAsync(bed, stack, dbTries: 3);
    }

    [Fact]
    public async Task WithAppliancesRules_ButNoMarkRuleInTheHostTable_GitlabProbeStillFails_AndTheHostTableIsReported()
    {
        NftablesBackend? backend = null;
        await using EngineTestBed bed = await EngineTestBed.CreateAsync(firewall: box => Coordinator(backend = Backend(box)));
        var nas = new NasHost(bed.Box);
        await nas.EnableBrNetfilterAsync();
        await nas.LoadHostFirewallAsync(withMarkRule: false);
        ResolvedStack stack = await LoadStackAsync(dbTries: 3);

        await bed.Engine.UpAsync(stack, bed.Progress);

        // Appliance's accept ends only its own chain: the host's forward drop still wins.
        Assert.Contains(bed.Events, e => e.Step == EngineStep.ApplyFirewall);
        await AssertProbeGivesUpOnPostgresqlAsync(bed, stack, dbTries: 3);
        IReadOnlyList<ForeignBlocker> blockers = await backend!.FindForeignBlockersAsync();
        Assert.Contains(blockers, b => b.Table == NasHost.Table && b.Hook == "forward" && b.Fix.Contains(PacketMark.Default.HostRule, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithAppliancesRules_StackIsHealthy_PortsAnswerByExposure_AndAFlushIsRepaired()
    {
        NftablesBackend? backend = null;
        await using EngineTestBed bed = await EngineTestBed.CreateAsync(withWan: true, firewall: box => Coordinator(backend = Backend(box)));
        TestBox box = bed.Box;
        var nas = new NasHost(box);
        await nas.EnableBrNetfilterAsync();
        await nas.LoadHostFirewallAsync(withMarkRule: true);
        // A service of the NAS itself that nobody allowed: it must stay unreachable from both sides.
        await box.ListenTcpAsync(box.Nas, "0.0.0.0", SambaPort, "samba");
        ResolvedStack stack = await LoadStackAsync(dbTries: 10, httpExposure: "internet");

        await bed.Engine.UpAsync(stack, bed.Progress);
        await WaitHealthyAsync(bed, stack);
        IReadOnlyList<ServiceStatus> ps = await bed.Engine.PsAsync(stack.Name);
        string db = ps.Single(s => s.Service == "postgresql").Address!;
        string app = ps.Single(s => s.Service == "gitlab").Address!;
        string logs = await bed.LogTextAsync(stack.Name, "gitlab");
        List<EngineStep> steps = bed.Events.Select(e => e.Step).ToList();

        Assert.True(steps.IndexOf(EngineStep.ApplyFirewall) < steps.IndexOf(EngineStep.StartContainer), "the firewall opened after a container started");
        Assert.Contains("PostgreSQL at postgresql:5432 is ready", logs);
        Assert.All(ps, s => Assert.Equal(ContainerStatus.Running, s.Status));
        await AssertReachableByExposureAsync(box, db, app);

        // 3. Someone flushes the whole ruleset in nas: Appliance puts its table back within 2 s.
        (await box.ExecAsync(box.Nas, "nft", "flush", "ruleset")).EnsureSuccess();
        await Poll.UntilAsync(async () => (await box.ExecAsync(box.Nas, "nft", "list", "table", "inet", FirewallIntent.DefaultTableName)).Succeeded,
            TimeSpan.FromSeconds(2), () => "Appliance's table was not restored within 2 s of `nft flush ruleset`");
        // The flush took the owner's table too; the owner puts it back: the stack keeps working behind it.
        await nas.LoadHostFirewallAsync(withMarkRule: true);

        await Poll.UntilAsync(async () => await TestBox.TryHttpGetAsync(box.Laptop, TestBox.NasLanAddress, HttpPort, "/-/liveness", Probe) is not null,
            TimeSpan.FromSeconds(5), () => "the published HTTP port did not answer again after the flush");
        ExecResult database = await bed.Engine.ExecAsync(stack.Name, "gitlab", ["pg_isready", "-h", "postgresql", "-t", "2"], TimeSpan.FromSeconds(10));
        Assert.True(database.Succeeded, $"gitlab-probe no longer reaches postgresql after the flush: {database.Stdout}{database.Stderr}");
        await WaitHealthyAsync(bed, stack);
        await AssertReachableByExposureAsync(box, db, app);
        Assert.Empty(await backend!.FindForeignBlockersAsync());

        // Down closes the stack's rules: its bridge and published ports leave Appliance's table.
        await bed.Engine.DownAsync(stack.Name, removeVolumes: true, bed.Progress);
        string table = (await box.ExecAsync(box.Nas, "nft", "list", "table", "inet", FirewallIntent.DefaultTableName)).EnsureSuccess().Stdout;
        Assert.DoesNotContain("ap-gitlab-probe", table);
        Assert.DoesNotContain(HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), table);
    }

    /// <summary>
    /// From the LAN both published ports answer; from the WAN only the one exposed to the
    /// internet; nothing else on nas answers from either side; the database never, not through
    /// nas's addresses nor straight at its container address (the clients' default route goes
    /// through nas, so the direct attempt is routed there and dropped).
    /// </summary>
    private static async Task AssertReachableByExposureAsync(TestBox box, string db, string app)
    {
        TestHost laptop = box.Laptop;
        TestHost wan = box.WanClient!;
        Task<string?> lanHttp = TestBox.TryHttpGetAsync(laptop, TestBox.NasLanAddress, HttpPort, "/-/liveness", Answer);
        Task<string?> lanSsh = TestBox.TryConnectTcpAsync(laptop, TestBox.NasLanAddress, SshPort, Answer);
        Task<string?> wanHttp = TestBox.TryHttpGetAsync(wan, TestBox.NasWanAddress, HttpPort, "/-/liveness", Answer);
        Task<string?>[] closed =
        [
            TestBox.TryConnectTcpAsync(wan, TestBox.NasWanAddress, SshPort, Probe),
            TestBox.TryConnectTcpAsync(wan, TestBox.NasWanAddress, SambaPort, Probe),
            TestBox.TryConnectTcpAsync(wan, TestBox.NasWanAddress, 5432, Probe),
            TestBox.TryConnectTcpAsync(wan, db, 5432, Probe),
            TestBox.TryConnectTcpAsync(wan, app, 80, Probe),
            TestBox.TryConnectTcpAsync(laptop, TestBox.NasLanAddress, SambaPort, Probe),
            TestBox.TryConnectTcpAsync(laptop, TestBox.NasLanAddress, 5432, Probe),
            TestBox.TryConnectTcpAsync(laptop, db, 5432, Probe),
            TestBox.TryConnectTcpAsync(laptop, app, 22, Probe),
        ];
        await Task.WhenAll([lanHttp, lanSsh, wanHttp, .. closed]);

        Assert.Matches(@"^HTTP/1\.[01] 200 ", await lanHttp);
        Assert.StartsWith("SSH-2.0-gitlab-probe", await lanSsh);
        Assert.Matches(@"^HTTP/1\.[01] 200 ", await wanHttp);
        Assert.All(closed, c => Assert.Null(c.Result));
    }

    /// <summary>The engine started gitlab-probe; it polls the database DB_TRIES times, then exits 1 naming it.</summary>
    private static async Task AssertProbeGivesUpOnPostgresqlAsync(EngineTestBed bed, ResolvedStack stack, int dbTries)
    {
        await Poll.UntilAsync(async () => (await bed.Engine.PsAsync(stack.Name)).Single(s => s.Service == "gitlab").Status != ContainerStatus.Running,
            Deadline, () => "gitlab-probe kept running although the host firewall drops its database traffic");
        IReadOnlyList<ServiceStatus> ps = await bed.Engine.PsAsync(stack.Name);
        string logs = await bed.LogTextAsync(stack.Name, "gitlab");

        Assert.Equal(1, ps.Single(s => s.Service == "gitlab").ExitCode);
        Assert.Contains($"PostgreSQL at postgresql:5432 did not answer after {dbTries} tries; giving up", logs);
        // The database itself was fine (healthy inside its container): the host firewall dropped the bridged flow.
        Assert.Equal(ContainerStatus.Running, ps.Single(s => s.Service == "postgresql").Status);
    }

    /// <summary>The nftables backend in the box's nas, watching for drift every 200 ms.</summary>
    private static NftablesBackend Backend(TestBox box) => new(new NftablesBackendOptions
    {
        Namespace = box.Nas.Namespace,
        StateDirectory = Path.Combine(box.RunDir, "firewall"),
        DriftPollInterval = TimeSpan.FromMilliseconds(200),
    });

    /// <summary>The owner's settings for the box: its LAN is 192.168.50.0/24; no host services.</summary>
    private static FirewallCoordinator Coordinator(NftablesBackend backend) =>
        new(backend, new FirewallIntent { LanSubnets = [IPNetwork.Parse(TestBox.LanSubnet)] });

    private static async Task WaitHealthyAsync(EngineTestBed bed, ResolvedStack stack)
    {
        ResolvedHealthcheck check = stack.FindService("gitlab")!.Healthcheck!;
        await Poll.UntilAsync(async () => (await bed.Engine.ExecAsync(stack.Name, "gitlab", check.Test, check.Timeout)).Succeeded, Deadline,
            () => "gitlab-probe never reported healthy");
    }

    /// <summary>tests/stacks/gitlab-probe with few database tries and, optionally, the HTTP port's own exposure rule.</summary>
    private async Task<ResolvedStack> LoadStackAsync(int dbTries, string? httpExposure = null)
    {
        string text = await File.ReadAllTextAsync(EngineTestBed.StackFile("gitlab-probe"));
        if (httpExposure is not null)
        {
            const string serviceRule = "    x-appliance:\n      exposure: lan\n";
            Assert.Contains(serviceRule, text);
            text = text.Replace(serviceRule, serviceRule + $"      ports:\n        \"{HttpPort}\": {httpExposure}\n", StringComparison.Ordinal);
        }
        return EngineTestBed.Load(text, new Dictionary<string, string>
        {
            ["REGISTRY"] = fixture.Registry.Host,
            ["DB_PASS"] = "probe-secret-0123",
            ["DB_TRIES"] = dbTries.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }
}
