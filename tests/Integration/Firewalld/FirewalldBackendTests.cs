using System.Diagnostics;
using System.Net;
using Appliance.Netfilter.Backends;
using Appliance.Netfilter.Firewalld;
using Appliance.Netfilter.Inspection;
using Appliance.Netfilter.Intent;
using Appliance.Netfilter.Nftables;
using Appliance.TestSupport;
using Appliance.TestSupport.Firewalld;

namespace Appliance.Integration.Tests.Firewalld;

/// <summary>
/// The NAS story with firewalld as the host firewall: a gitlab-shaped stack (web, db, redis on
/// ap-gitlab) and a second stack (wiki, no egress) in the box's nas namespace, br_netfilter on,
/// firewalld (default zone public, deny-by-default) on a private bus, and Appliance's firewalld
/// backend: its own nftables table (DNAT, masquerade, drops) plus its zone and policies in
/// firewalld over D-Bus.
/// </summary>
public sealed class FirewalldBackendTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(2);

    // For flows that must fail: a dropped flow only ever returns null, so a short wait cannot
    // fail the test falsely (answers inside the box come back in well under a millisecond).
    private static readonly TimeSpan Closed = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Stack_BehindFirewalld_WorksOnlyWithAppliancesZoneAndPolicy()
    {
        await using Scenario s = await Scenario.CreateAsync();

        await s.Backend.Table.ApplyAsync(FirewalldBackend.TableIntent(s.Intent)); // Appliance's table alone is not enough
        string? before = await s.WebToDbAsync();
        string? adminBefore = await s.ConnectAsync(s.Box.Laptop, TestBox.NasLanAddress, 8443);
        await s.Backend.ApplyAsync(s.Intent);
        FirewalldApplyResult first = s.Backend.LastFirewalldChange!;
        await s.Backend.ApplyAsync(s.Intent);
        FirewalldApplyResult second = s.Backend.LastFirewalldChange!;

        Assert.Null(before); // the NAS failure: firewalld rejects the bridged database traffic
        Assert.Null(adminBefore);
        Assert.True(first.Reloaded, string.Join("; ", first.Changes));
        Assert.False(second.Changed, "a second apply of the same intent changed: " + string.Join("; ", second.Changes));
        Console.WriteLine($"firewalld: first apply {first.Elapsed.TotalMilliseconds:0} ms ({string.Join(", ", first.Changes)}), verify-only apply {second.Elapsed.TotalMilliseconds:0} ms");
        Assert.Empty(await s.Backend.Sync.VerifyAsync());
        Assert.Equal("appliance", await s.Firewalld.FirewallCmdAsync("--get-zone-of-interface=ap-gitlab"));
        await s.AssertStackWorksAsync();
        // Published ports: per their exposure; everything else closed from outside.
        Assert.Equal("gitlab-http\n", await s.ConnectAsync(s.Box.Laptop, TestBox.NasLanAddress, 8080));
        Assert.Null(await s.ConnectAsync(s.Box.WanClient!, TestBox.NasWanAddress, 8080, Closed));
        Assert.Equal("gitlab-ssh\n", await s.ConnectAsync(s.Box.WanClient!, TestBox.NasWanAddress, 2222));
        Assert.Equal("gitlab-ssh\n", await s.ConnectAsync(s.Box.Laptop, TestBox.NasLanAddress, 2222));
        Assert.Null(await s.ConnectAsync(s.Box.Laptop, "10.88.1.3", 5432, Closed));
        Assert.Null(await s.ConnectAsync(s.Box.WanClient!, "10.88.1.3", 5432, Closed));
        Assert.Null(await s.ConnectAsync(s.Box.Laptop, TestBox.NasLanAddress, 5432, Closed));
        // Explain names the firewalld object that decides.
        IPAddress[] hostAddresses = [IPAddress.Parse(TestBox.NasLanAddress), IPAddress.Parse(TestBox.NasWanAddress)];
        FlowExplanation across = await s.Backend.ExplainAsync(FlowQuery.Parse("10.88.2.2", "10.88.1.3:5432/tcp"), hostAddresses);
        FlowExplanation within = await s.Backend.ExplainAsync(FlowQuery.Parse("10.88.1.2", "10.88.1.3:5432/tcp"), hostAddresses);
        Assert.False(across.Passes);
        Assert.Equal("policy appliance-stacks", across.Chain);
        Assert.True(within.Passes, within.ToString());
        // The admin UI: from the LAN only.
        Assert.Equal("admin-ui\n", await s.ConnectAsync(s.Box.Laptop, TestBox.NasLanAddress, 8443));
        Assert.Null(await s.ConnectAsync(s.Box.WanClient!, TestBox.NasWanAddress, 8443, Closed));
    }

    [Fact]
    public async Task NarrowingAdminUi_KeptInFirewalldUntilConfirmed()
    {
        await using Scenario s = await Scenario.CreateAsync();
        await s.Backend.ApplyAsync(s.Intent);
        FirewallIntent hostOnly = s.Intent with
        {
            HostServices = [new HostService { Name = HostService.AdminUiName, Port = 8443, AllowedFrom = Exposure.HostOnly }],
        };

        FirewallApplyResult narrowed = await s.Backend.ApplyAsync(hostOnly);
        string? whilePending = await s.ConnectAsync(s.Box.Laptop, TestBox.NasLanAddress, 8443);
        await s.Backend.ConfirmAsync();
        string? afterConfirm = await s.ConnectAsync(s.Box.Laptop, TestBox.NasLanAddress, 8443, Closed);

        Assert.NotNull(narrowed.PendingUntil);
        Assert.Equal("admin-ui\n", whilePending);
        Assert.Null(afterConfirm);
        Assert.DoesNotContain("appliance-host", (await s.Firewalld.FirewallCmdAsync("--get-policies")).Split(' '));
    }

    [Fact]
    public async Task NarrowingAdminUi_NotConfirmed_FirewalldFollowsTheRollback()
    {
        await using Scenario s = await Scenario.CreateAsync(confirmWindow: TimeSpan.FromSeconds(1));
        await s.Backend.ApplyAsync(s.Intent);
        FirewallIntent withoutAdmin = s.Intent with { HostServices = [], Stacks = [s.Intent.Stacks[0]] };

        await s.Backend.ApplyAsync(withoutAdmin);
        string interfacesWhilePending = await s.Firewalld.FirewallCmdAsync("--zone=appliance", "--list-interfaces");
        await Poll.UntilAsync(async () => (await s.Firewalld.FirewallCmdAsync("--zone=appliance", "--list-interfaces")).Contains("ap-wiki"),
            TimeSpan.FromSeconds(10), () => "firewalld did not follow the table's rollback");

        Assert.Equal("ap-gitlab", interfacesWhilePending); // the stack change went through at once
        Assert.Equal("admin-ui\n", await s.ConnectAsync(s.Box.Laptop, TestBox.NasLanAddress, 8443));
        Assert.Same(s.Intent, s.Backend.Sync.Intent);
    }

    [Fact]
    public async Task BridgeBoundToAnotherZone_FailsWithTheFix()
    {
        await using Scenario s = await Scenario.CreateAsync();
        await s.Firewalld.FirewallCmdAsync("--permanent", "--zone=trusted", "--add-interface=ap-gitlab");
        await s.Firewalld.FirewallCmdAsync("--reload");

        var e = await Assert.ThrowsAsync<FirewalldCallException>(() => s.Backend.ApplyAsync(s.Intent));

        Assert.Contains(e.Code, (string[])["ZONE_CONFLICT", "INVALID_INTERFACE"]);
        Assert.Contains("'ap-gitlab' already bound to zone 'trusted'", e.Message);
        Assert.Contains("--remove-interface=BRIDGE", e.Message);
    }

    [Fact]
    public async Task SelectAsync_Auto_ChoosesFirewalldWhenItOwnsItsName()
    {
        await using TestBox box = await TestBox.CreateAsync();
        FirewalldInBox firewalld = await FirewalldInBox.StartAsync(box);

        string running = await FirewallBackends.SelectAsync("auto", firewalld.BusAddress);
        await firewalld.StopAsync();
        string stopped = await FirewallBackends.SelectAsync("auto", firewalld.BusAddress);

        Assert.Equal(FirewallBackends.Firewalld, running);
        Assert.Equal(FirewallBackends.Nftables, stopped);
    }

    [Fact]
    public async Task Reload_AfterPermanentTampering_RestoredWithin2Seconds()
    {
        await using Scenario s = await Scenario.CreateAsync();
        await s.Backend.ApplyAsync(s.Intent);
        var reapplied = new System.Collections.Concurrent.ConcurrentQueue<FirewalldReapply>();
        s.Backend.Sync.Reapplied += reapplied.Enqueue;

        await s.Firewalld.FirewallCmdAsync("--reload");
        Assert.Equal("postgresql\n", await s.WebToDbAsync()); // permanent: a plain reload keeps the stack working
        await Poll.UntilAsync(() => reapplied.Any(r => r.Result is { Changed: false }), Quick, () => "no verify after the plain reload");
        reapplied.Clear();
        await s.Firewalld.FirewallCmdAsync("--permanent", "--zone=appliance", "--remove-interface=ap-gitlab");
        await s.Firewalld.FirewallCmdAsync("--reload");
        var sinceReload = Stopwatch.StartNew();
        await Poll.UntilAsync(async () => await s.WebToDbAsync(TimeSpan.FromMilliseconds(300)) is not null, Quick,
            () => "the stack did not work again within 2 s of the reload: " + string.Join("; ", reapplied));
        TimeSpan latency = sinceReload.Elapsed;

        // The event is raised once the re-apply returns, which can be just after the stack works again.
        await Poll.UntilAsync(() => reapplied.Any(r => r.Result is { Changed: true }), Quick, () => string.Join("; ", reapplied));
        Assert.Empty(await s.Backend.Sync.VerifyAsync());
        await s.AssertStackWorksAsync();
        Assert.Equal("gitlab-http\n", await s.ConnectAsync(s.Box.Laptop, TestBox.NasLanAddress, 8080)); // Appliance's table survived
        Console.WriteLine($"firewalld: stack working again {latency.TotalMilliseconds:0} ms after a tampering reload; " +
            string.Join("; ", reapplied.Select(r => $"{r.Trigger}: {r.SinceEvent.TotalMilliseconds:0} ms, {string.Join(", ", r.Result?.Changes ?? [])}")));
    }

    [Fact]
    public async Task Restart_WithPolicyRemovedMeanwhile_RestoredWithin2Seconds()
    {
        await using Scenario s = await Scenario.CreateAsync();
        await s.Backend.ApplyAsync(s.Intent);
        var reapplied = new System.Collections.Concurrent.ConcurrentQueue<FirewalldReapply>();
        s.Backend.Sync.Reapplied += reapplied.Enqueue;

        await s.Firewalld.RestartAsync(whileStopped: () =>
            File.Delete(Path.Combine(s.Firewalld.ConfigDirectory, "policies", "appliance-stacks.xml")));
        var sinceStart = Stopwatch.StartNew();
        await Poll.UntilAsync(async () => await s.WebToDbAsync(TimeSpan.FromMilliseconds(300)) is not null, Quick,
            () => "the stack did not work again within 2 s of firewalld's restart: " + string.Join("; ", reapplied));
        TimeSpan latency = sinceStart.Elapsed;

        await Poll.UntilAsync(() => reapplied.Any(r => r.Result is { Reloaded: true }), Quick, () => string.Join("; ", reapplied));
        Assert.Empty(await s.Backend.Sync.VerifyAsync());
        await s.AssertStackWorksAsync();
        Assert.Equal("gitlab-http\n", await s.ConnectAsync(s.Box.Laptop, TestBox.NasLanAddress, 8080));
        Assert.Equal("admin-ui\n", await s.ConnectAsync(s.Box.Laptop, TestBox.NasLanAddress, 8443));
        Console.WriteLine($"firewalld: stack working again {latency.TotalMilliseconds:0} ms after firewalld answered again; " +
            string.Join("; ", reapplied.Select(r => $"{r.Trigger}: re-applied {r.SinceEvent.TotalMilliseconds:0} ms after the event, {string.Join(", ", r.Result?.Changes ?? [])}")));
    }

    [Fact]
    public async Task RemovingStacks_RemovesEverythingAppliancedAdded()
    {
        await using Scenario s = await Scenario.CreateAsync();
        await s.Backend.ApplyAsync(s.Intent);

        await s.Backend.ApplyAsync(s.Intent with { Stacks = [s.Intent.Stacks[1]] });
        FirewalldApplyResult withoutGitlab = s.Backend.LastFirewalldChange!;
        string zoneAfterOne = await s.Firewalld.FirewallCmdAsync("--zone=appliance", "--list-interfaces");
        string rulesAfterOne = await s.Firewalld.FirewallCmdAsync("--policy=appliance-stacks", "--list-rich-rules");
        string permanentRulesAfterOne = await s.Firewalld.FirewallCmdAsync("--permanent", "--policy=appliance-stacks", "--list-rich-rules");
        await s.Backend.RemoveAsync();
        FirewalldApplyResult none = s.Backend.LastFirewalldChange!;

        Assert.False(withoutGitlab.Reloaded, "removing one stack of two must not reload firewalld");
        Assert.Equal("ap-wiki", zoneAfterOne);
        Assert.DoesNotContain("10.88.1.", rulesAfterOne);
        Assert.DoesNotContain("10.88.1.", permanentRulesAfterOne);
        Assert.True(none.Reloaded);
        Assert.DoesNotContain("appliance", (await s.Firewalld.FirewallCmdAsync("--get-zones")).Split(' '));
        Assert.DoesNotContain("appliance", (await s.Firewalld.FirewallCmdAsync("--permanent", "--get-zones")).Split(' '));
        Assert.DoesNotContain("appliance-stacks", (await s.Firewalld.FirewallCmdAsync("--get-policies")).Split(' '));
        // firewalld itself keeps a backup of each removed file (NAME.xml.old); no live config file of ours remains.
        Assert.Empty(Directory.EnumerateFiles(s.Firewalld.ConfigDirectory, "appliance*.xml", SearchOption.AllDirectories));
        CommandResult table = await s.Box.ExecAsync(s.Box.Nas, "nft", "list", "table", "inet", "firewalld");
        Assert.DoesNotContain("appliance", table.Stdout);
        Assert.DoesNotContain("appliance", (await s.Box.ExecAsync(s.Box.Nas, "nft", "list", "tables")).Stdout);
        Assert.Null(await s.WebToDbAsync(Closed)); // back to firewalld's own deny-by-default
    }

    /// <summary>The box, firewalld, two simulated stacks with listeners, and Appliance's firewalld backend (not yet applied).</summary>
    private sealed class Scenario : IAsyncDisposable
    {
        private Scenario(TestBox box, FirewalldInBox firewalld, FirewalldBackend backend, SimulatedStack gitlab, SimulatedStack wiki, FirewallIntent intent)
        {
            Box = box;
            Firewalld = firewalld;
            Backend = backend;
            Gitlab = gitlab;
            Wiki = wiki;
            Intent = intent;
        }

        public TestBox Box { get; }
        public FirewalldInBox Firewalld { get; }
        public FirewalldBackend Backend { get; }
        public SimulatedStack Gitlab { get; }
        public SimulatedStack Wiki { get; }
        public FirewallIntent Intent { get; }

        public static async Task<Scenario> CreateAsync(TimeSpan? confirmWindow = null)
        {
            TestBox box = await TestBox.CreateAsync(withWan: true);
            try
            {
                (await box.ExecAsync(box.Nas, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1")).EnsureSuccess();
                SimulatedStack gitlab = await SimulatedStack.CreateAsync(box, "gitlab", 1, 3);
                SimulatedStack wiki = await SimulatedStack.CreateAsync(box, "wiki", 2, 1);
                await box.ListenTcpAsync(gitlab.Containers[0], "0.0.0.0", 80, "gitlab-http");
                await box.ListenTcpAsync(gitlab.Containers[0], "0.0.0.0", 22, "gitlab-ssh");
                await box.ListenTcpAsync(gitlab.Containers[1], "0.0.0.0", 5432, "postgresql");
                await box.ListenTcpAsync(gitlab.Containers[2], "0.0.0.0", 6379, "redis");
                await box.ListenTcpAsync(wiki.Containers[0], "0.0.0.0", 80, "wiki");
                await box.ListenTcpAsync(box.WanClient!, "0.0.0.0", 9000, "internet");
                await box.ListenTcpAsync(box.Nas, "0.0.0.0", 5432, "nas-itself");
                await box.ListenTcpAsync(box.Nas, "0.0.0.0", 8443, "admin-ui");

                FirewalldInBox firewalld = await FirewalldInBox.StartAsync(box);
                var intent = new FirewallIntent
                {
                    LanSubnets = [IPNetwork.Parse(TestBox.LanSubnet)],
                    HostServices = [new HostService { Name = HostService.AdminUiName, Port = 8443, AllowedFrom = Exposure.Lan }],
                    Stacks =
                    [
                        gitlab.ToNetwork(egress: true, ports:
                        [
                            new PublishedPort { HostPort = 8080, ContainerAddress = IPAddress.Parse("10.88.1.2"), ContainerPort = 80, Exposure = Exposure.Lan },
                            new PublishedPort { HostPort = 2222, ContainerAddress = IPAddress.Parse("10.88.1.2"), ContainerPort = 22, Exposure = Exposure.Internet },
                        ]),
                        wiki.ToNetwork(egress: false),
                    ],
                };
                FirewalldBackend backend = await FirewalldBackend.CreateAsync(
                    new FirewalldOptions { BusAddress = firewalld.BusAddress, ReapplyDelay = TimeSpan.FromMilliseconds(50) },
                    new NftablesBackendOptions
                    {
                        Namespace = box.Nas.Namespace,
                        StateDirectory = Path.Combine(box.RunDir, "firewall"),
                        DriftPollInterval = TimeSpan.FromMilliseconds(200),
                        ConfirmWindow = confirmWindow ?? TimeSpan.FromSeconds(60),
                    });
                box.OnTeardown("firewalld backend", async () => await backend.DisposeAsync());
                return new Scenario(box, firewalld, backend, gitlab, wiki, intent);
            }
            catch
            {
                await box.DisposeAsync();
                throw;
            }
        }

        public Task<string?> ConnectAsync(TestHost from, string address, int port, TimeSpan? timeout = null) =>
            TestBox.TryConnectTcpAsync(from, address, port, timeout ?? Quick);

        public Task<string?> WebToDbAsync(TimeSpan? timeout = null) => ConnectAsync(Gitlab.Containers[0], "10.88.1.3", 5432, timeout);

        /// <summary>Inside the stack, out of it, and the isolation from the other stack.</summary>
        public async Task AssertStackWorksAsync()
        {
            Assert.Equal("postgresql\n", await WebToDbAsync());
            Assert.Equal("redis\n", await ConnectAsync(Gitlab.Containers[0], "10.88.1.4", 6379));
            Assert.Equal("internet\n", await ConnectAsync(Gitlab.Containers[0], TestBox.WanClientAddress, 9000));
            Assert.Null(await ConnectAsync(Wiki.Containers[0], "10.88.1.3", 5432, Closed));
            Assert.Null(await ConnectAsync(Gitlab.Containers[0], "10.88.2.2", 80, Closed));
            Assert.Null(await ConnectAsync(Wiki.Containers[0], TestBox.WanClientAddress, 9000, Closed));
            Assert.Null(await ConnectAsync(Gitlab.Containers[0], "10.88.1.1", 5432, Closed)); // the host itself from a container
        }

        public ValueTask DisposeAsync() => Box.DisposeAsync();
    }
}
