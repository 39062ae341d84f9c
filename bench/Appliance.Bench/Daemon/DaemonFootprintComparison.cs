using System.Diagnostics;
using System.Globalization;
using System.Text;
using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Images;
using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Runtime;
using Appliance.TestSupport;
using Appliance.TestSupport.Registry;
using Appliance.Web.Cli;
using Appliance.Web.Hosting;

namespace Appliance.Bench.Daemon;

/// <summary>
/// `compare-daemon-footprint`: issue #9's targets for `appliance serve`, read from /proc (VmRSS; utime+stime, and
/// cutime+cstime for the `runc exec` children of the health checks), with real stacks on runc in a test box: the daemon
/// runs on the machine, manages its stacks and nftables table in the box's nas namespace (--netns), pulls from the local
/// registry. Phases, one daemon state dir:
/// <list type="number">
/// <item>no stacks: start to serving /api/health (median of 3) and idle RSS/CPU; podman's API service idles alongside;</item>
/// <item>5 stacks, 17 busybox httpd services, each with an exec health check (wget of its page) every 30 s: idle RSS/CPU;</item>
/// <item>the same 17 services checked every 1 s (about 1,000 checks a minute, counted in health_history): CPU;</item>
/// <item>15 more stacks (20 in all): start to serving after a restart (median of 3) and RSS once settled.</item>
/// </list>
/// APPLIANCE_BENCH_DAEMON: the daemon to run (a published `appliance`, or appliance.dll; default: this build's);
/// APPLIANCE_BENCH_WINDOW: seconds per measurement (60);
/// APPLIANCE_BENCH_DAEMON_B: a second daemon: then only start-up with 20 stacks is measured, A and B in turn.
/// APPLIANCE_BENCH_JIT_SUMMARY=DIR: each daemon lists the methods it JITs in DIR/daemon-N.txt (see DaemonEnvironment).
/// </summary>
public sealed class DaemonFootprintComparison : IComparison
{
    private const int ClockTicks = 100;
    private static readonly int[] StackSizes = [4, 4, 3, 3, 3];

    public string Name => "compare-daemon-footprint";

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        int window = int.Parse(Environment.GetEnvironmentVariable("APPLIANCE_BENCH_WINDOW") ?? "60", CultureInfo.InvariantCulture);
        string daemonPath = Path.GetFullPath(Environment.GetEnvironmentVariable("APPLIANCE_BENCH_DAEMON") ?? Path.Combine(AppContext.BaseDirectory, "appliance.dll"));
        var rows = new List<string>();
        void Row(string what, string appliance, string podman, string target)
        {
            string line = $"| {what} | {appliance} | {podman} | {target} |";
            rows.Add(line);
            Console.WriteLine(line);
        }

        await using LocalRegistry registry = await LocalRegistry.StartAsync(new LocalRegistryOptions { PushTestImages = true }, cancellationToken);
        await using TestBox box = await TestBox.CreateAsync(cancellationToken: cancellationToken);
        string state = Path.Combine(box.TempDir, "state");
        string socket = Path.Combine(box.TempDir, "appliance.sock");
        box.OnTeardown("mounts under the box's dirs", UnmountUnderAsync(box));
        TakeDownStacksAtTeardown(box, state);
        Console.WriteLine($"daemon: {daemonPath}; window {window} s; load average {Load()}");

        if (Environment.GetEnvironmentVariable("APPLIANCE_BENCH_DAEMON_B") is { Length: > 0 } daemonB)
        {
            if (Environment.GetEnvironmentVariable("APPLIANCE_BENCH_AB") == "checks")
            {
                await CompareChecksAsync(registry, box, daemonPath, Path.GetFullPath(daemonB), state, socket, window, cancellationToken);
            }
            else
            {
                await CompareStartsAsync(registry, box, daemonPath, Path.GetFullPath(daemonB), state, socket, cancellationToken);
            }
            return;
        }

        // 1. No stacks.
        var starts = new List<double>();
        BackgroundProcess daemon = null!;
        for (int run = 0; run < 3; run++)
        {
            if (run > 0)
            {
                await StopAsync(daemon);
            }
            (daemon, double ms) = await StartAsync(box, daemonPath, state, socket);
            starts.Add(ms);
        }
        BackgroundProcess podman = StartPodman(box);
        await WaitPodmanAsync(box, podman);
        await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
        Console.WriteLine($"load average before idle: {Load()}");
        (Usage a0, Usage p0) = (Usage.Of(daemon.Id), Usage.Of(podman.Id));
        await Task.Delay(TimeSpan.FromSeconds(window), cancellationToken);
        (Usage a1, Usage p1) = (Usage.Of(daemon.Id), Usage.Of(podman.Id));
        Row("start to serving /api/health, no stacks (median of 3)", $"{Median(starts):0} ms", "", "< 1 s with 20 stacks");
        Row("idle RSS, no stacks", Mb(a1.RssKb), Mb(p1.RssKb), "");
        Console.WriteLine(Breakdown(daemon.Id));
        Row($"idle CPU over {window} s, no stacks", Cpu(a0, a1, window), Cpu(p0, p1, window), "< 1 %");
        Console.WriteLine($"load average after idle: {Load()}");

        // 2. Five stacks, 17 services, exec checks every 30 s.
        using var client = new DaemonClient(socket);
        for (int i = 0; i < StackSizes.Length; i++)
        {
            await DeployAsync(client, $"s{i}", StackFile(registry, $"s{i}", StackSizes[i], "30s"), cancellationToken);
        }
        Console.WriteLine($"5 stacks deployed; daemon pid {daemon.Id}; the idle window starts in 35 s and lasts {window} s");
        await Task.Delay(TimeSpan.FromSeconds(35), cancellationToken);
        a0 = Usage.Of(daemon.Id);
        p0 = Usage.Of(podman.Id);
        await Task.Delay(TimeSpan.FromSeconds(window), cancellationToken);
        a1 = Usage.Of(daemon.Id);
        p1 = Usage.Of(podman.Id);
        Row("idle RSS, 5 stacks (17 services, exec check every 30 s)", Mb(a1.RssKb), Mb(p1.RssKb) + " (no containers)", "< 80 MB");
        Console.WriteLine(Breakdown(daemon.Id));
        Row($"idle CPU over {window} s, 5 stacks (incl. its runc exec children)", $"{Cpu(a0, a1, window)} ({CpuWithChildren(a0, a1, window)})", Cpu(p0, p1, window), "< 1 %");
        Console.WriteLine($"load average after 5-stack idle: {Load()}");
        await StopAsync(podman);

        // 2b. The web UI, a process of its own: started by the first page (a laptop on the box's LAN asks for it), stopped when idle.
        double cold = await PageAsync(box), warm = await PageAsync(box);
        int ui = ProcessTree.ChildrenOf(daemon.Id, "ui").Single();
        await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
        Usage uiUsage = Usage.Of(ui), daemonUsage = Usage.Of(daemon.Id);
        Row("first page, the web UI not running (it starts) / the next page", $"{cold:0} ms / {warm:0} ms", "", "");
        Row("the web UI's process after serving pages (stopped after 10 min without one)", Mb(uiUsage.RssKb), "", "");
        Row("daemon + web UI while someone uses it", Mb(uiUsage.RssKb + daemonUsage.RssKb), "", "");
        // The two hops a UI request takes (the daemon's forwarder to the UI, the UI's bridge back to the daemon's engine), against
        // the daemon answering the same list itself: both over the daemon's socket, as root, so no sign-in is needed.
        string own = await LatencyAsync(socket, "api/daemon/stacks", cancellationToken), throughUi = await LatencyAsync(socket, "api/stacks", cancellationToken);
        Row("5 stacks listed: the UI's /api/stacks through the daemon and the bridge / the daemon's own /api/daemon/stacks (p50, p99 of 200)",
            $"{throughUi} / {own}", "", "");

        // 3. The same services checked every second.
        for (int i = 0; i < StackSizes.Length; i++)
        {
            await DeployAsync(client, $"s{i}", StackFile(registry, $"s{i}", StackSizes[i], "1s"), cancellationToken);
        }
        await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
        long c0 = await HealthRowsAsync(state);
        a0 = Usage.Of(daemon.Id);
        await Task.Delay(TimeSpan.FromSeconds(window), cancellationToken);
        a1 = Usage.Of(daemon.Id);
        long checks = (await HealthRowsAsync(state) - c0) * 60 / window;
        Row($"{checks:N0} exec health checks a minute: daemon CPU (with its runc exec children)",
            $"{Cpu(a0, a1, window)} ({CpuWithChildren(a0, a1, window)})", "", "< 5 % of one core");
        Row("RSS under that load", Mb(a1.RssKb), "", "");
        Console.WriteLine($"load average after health load: {Load()}");

        // 4. Twenty stacks: 15 more with one service each (checks back to 30 s), then restarts.
        await DeployTwentyStacksAsync(client, registry, cancellationToken);
        starts.Clear();
        for (int run = 0; run < 3; run++)
        {
            await StopAsync(daemon);
            DateTimeOffset spawned = DateTimeOffset.UtcNow;
            (daemon, double ms) = await StartAsync(box, daemonPath, state, socket);
            starts.Add(ms);
            using var after = new DaemonClient(socket);
            EventResponse[] events = await after.GetAsync<EventResponse[]>("api/daemon/events?max=20", cancellationToken);
            EventResponse? firewall = events.Where(e => e.Time >= spawned && e.Kind == "firewall").MinBy(e => e.Time);
            Console.WriteLine($"20 stacks: serving after {ms:0} ms; firewall applied {(firewall is null ? "?" : $"{(firewall.Time - spawned).TotalMilliseconds:0} ms")} after spawn");
        }
        Row("start to serving /api/health, 20 stacks (32 containers) running (median of 3)", $"{Median(starts):0} ms ({string.Join(", ", starts.Select(s => s.ToString("0", CultureInfo.InvariantCulture)))})", "", "< 1 s");
        await Task.Delay(TimeSpan.FromSeconds(40), cancellationToken);
        a0 = Usage.Of(daemon.Id);
        await Task.Delay(TimeSpan.FromSeconds(window), cancellationToken);
        a1 = Usage.Of(daemon.Id);
        Row("idle RSS, 20 stacks", Mb(a1.RssKb), "", "");
        Console.WriteLine(Breakdown(daemon.Id));
        Row($"idle CPU over {window} s, 20 stacks (with children)", $"{Cpu(a0, a1, window)} ({CpuWithChildren(a0, a1, window)})", "", "");
        Console.WriteLine($"load average at the end: {Load()}");
        await StopAsync(daemon);

        Console.WriteLine();
        Console.WriteLine("| | appliance serve | podman system service | target |");
        Console.WriteLine("|---|---|---|---|");
        foreach (string row in rows)
        {
            Console.WriteLine(row);
        }
    }

    /// <summary>
    /// A/B of start-up alone (APPLIANCE_BENCH_DAEMON_B set): the 20 stacks of part 4 are deployed by daemon A, then A and B
    /// restart in turn (APPLIANCE_BENCH_STARTS each, default 6), so both see the same machine and load.
    /// </summary>
    private static async Task CompareStartsAsync(LocalRegistry registry, TestBox box, string daemonA, string daemonB, string state, string socket,
        CancellationToken cancellationToken)
    {
        int runs = int.Parse(Environment.GetEnvironmentVariable("APPLIANCE_BENCH_STARTS") ?? "6", CultureInfo.InvariantCulture);
        Console.WriteLine($"start A/B, 20 stacks: A {daemonA}, B {daemonB}, {runs} starts each, alternating");
        (BackgroundProcess daemon, _) = await StartAsync(box, daemonA, state, socket);
        using (var client = new DaemonClient(socket))
        {
            await DeployTwentyStacksAsync(client, registry, cancellationToken);
        }
        var starts = new Dictionary<string, List<double>> { ["A"] = [], ["B"] = [] };
        for (int run = 0; run < runs * 2; run++)
        {
            string which = run % 2 == 0 ? "A" : "B";
            await StopAsync(daemon);
            (daemon, double ms) = await StartAsync(box, which == "A" ? daemonA : daemonB, state, socket);
            starts[which].Add(ms);
            Console.WriteLine($"{which}: serving after {ms:0} ms (load {Load()})");
        }
        await StopAsync(daemon);
        foreach ((string which, List<double> ms) in starts)
        {
            Console.WriteLine($"| start to serving, 20 stacks, daemon {which} (median of {ms.Count}) | {Median(ms):0} ms | " +
                $"{string.Join(", ", ms.Select(m => m.ToString("0", CultureInfo.InvariantCulture)))} |");
        }
    }

    /// <summary>
    /// A/B of the check load alone (APPLIANCE_BENCH_AB=checks and APPLIANCE_BENCH_DAEMON_B set): the 5 stacks with a check
    /// every second are deployed by daemon A, then A and B take turns (APPLIANCE_BENCH_STARTS each, default 6): start,
    /// 10 s to settle, one window measured. Both see the same containers, machine and load; runs of one binary on this VM
    /// differ by more than most changes do.
    /// </summary>
    private static async Task CompareChecksAsync(LocalRegistry registry, TestBox box, string daemonA, string daemonB, string state, string socket,
        int window, CancellationToken cancellationToken)
    {
        int runs = int.Parse(Environment.GetEnvironmentVariable("APPLIANCE_BENCH_STARTS") ?? "6", CultureInfo.InvariantCulture);
        Console.WriteLine($"check load A/B, 5 stacks (17 services, exec check every 1 s): A {daemonA}, B {daemonB}, {runs} windows of {window} s each, alternating");
        (BackgroundProcess daemon, _) = await StartAsync(box, daemonA, state, socket);
        using (var client = new DaemonClient(socket))
        {
            for (int i = 0; i < StackSizes.Length; i++)
            {
                await DeployAsync(client, $"s{i}", StackFile(registry, $"s{i}", StackSizes[i], "1s"), cancellationToken);
            }
        }
        var perCheck = new Dictionary<string, List<double>> { ["A"] = [], ["B"] = [] };
        var percent = new Dictionary<string, List<double>> { ["A"] = [], ["B"] = [] };
        for (int run = 0; run < runs * 2; run++)
        {
            string which = run % 2 == 0 ? "A" : "B";
            await StopAsync(daemon);
            (daemon, _) = await StartAsync(box, which == "A" ? daemonA : daemonB, state, socket);
            await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
            long c0 = await HealthRowsAsync(state);
            Usage u0 = Usage.Of(daemon.Id);
            await Task.Delay(TimeSpan.FromSeconds(window), cancellationToken);
            Usage u1 = Usage.Of(daemon.Id);
            long checks = await HealthRowsAsync(state) - c0;
            double cpuMs = 1000.0 * (u1.Ticks - u0.Ticks) / ClockTicks;
            perCheck[which].Add(cpuMs / checks);
            percent[which].Add(100.0 * cpuMs / 1000 / window);
            Console.WriteLine($"{which}: {checks * 60 / window:N0} checks a minute, daemon {Cpu(u0, u1, window)} ({CpuWithChildren(u0, u1, window)}), " +
                $"{cpuMs / checks:0.00} ms a check (load {Load()})");
        }
        await StopAsync(daemon);
        foreach (string which in new[] { "A", "B" })
        {
            Console.WriteLine($"| ~1,000 exec checks a minute, daemon {which} (median of {runs}) | {Median(percent[which]):0.00} % | {Median(perCheck[which]):0.00} ms a check | " +
                $"{string.Join(", ", percent[which].Select(m => m.ToString("0.00", CultureInfo.InvariantCulture)))} |");
        }
    }

    /// <summary>The 20 stacks of the start measurements (32 containers, checks every 30 s): the five of <see cref="StackSizes"/>
    /// (deployed again when they are there) and 15 of one service.</summary>
    private static async Task DeployTwentyStacksAsync(DaemonClient client, LocalRegistry registry, CancellationToken cancellationToken)
    {
        for (int i = 0; i < 20; i++)
        {
            await DeployAsync(client, $"s{i}", StackFile(registry, $"s{i}", i < StackSizes.Length ? StackSizes[i] : 1, "30s"), cancellationToken);
        }
    }

    /// <summary>A stack of <paramref name="services"/> busybox httpd services, each checked by fetching its page. httpd as PID 1
    /// ignores SIGTERM: a 1 s grace period keeps redeploys and the teardown short.</summary>
    private static string StackFile(LocalRegistry registry, string name, int services, string interval)
    {
        var yaml = new StringBuilder($"name: {name}\nservices:\n");
        for (int i = 0; i < services; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"""
                  web{i}:
                    image: {registry.Reference(TestImages.Busybox)}
                    command: ["sh", "-c", "echo ok > /tmp/index.html; exec httpd -f -p 8080 -h /tmp"]
                    restart: always
                    stop_grace_period: 1s
                    healthcheck:
                      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
                      interval: {interval}
                      timeout: 5s
                      retries: 3

                """);
        }
        return yaml.ToString();
    }

    private static async Task DeployAsync(DaemonClient client, string name, string stackFile, CancellationToken cancellationToken)
    {
        OperationResponse result = await client.SendJsonAsync<OperationResponse>(HttpMethod.Put, $"api/daemon/stacks/{name}", new DeployRequest(stackFile), cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"deploy of {name} failed: {result.Message}");
        }
    }

    /// <summary>The <c>Environment=</c> lines of deploy/appliance.service: the daemon runs as install.sh's unit runs it.</summary>
    private static readonly Lazy<IReadOnlyDictionary<string, string>> UnitEnvironment = new(() =>
    {
        string unit = Path.Combine(Stacks.StackFiles.FindRepoRoot(), "deploy", "appliance.service");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(unit).Where(l => l.StartsWith("Environment=", StringComparison.Ordinal)))
        {
            string[] pair = line["Environment=".Length..].Split('=', 2);
            environment[pair[0]] = pair[1];
        }
        Console.WriteLine($"daemon environment (from {unit}): {string.Join(' ', environment.Select(e => $"{e.Key}={e.Value}"))}");
        return environment;
    });

    private static int _daemonStarts;

    /// <summary>The unit's environment; with APPLIANCE_BENCH_JIT_SUMMARY=DIR, each daemon also lists every method it JITs
    /// (the runtime's JitDisasmSummary) in DIR/daemon-N.txt, N counting the daemons this run started.</summary>
    private static IReadOnlyDictionary<string, string> DaemonEnvironment()
    {
        int start = Interlocked.Increment(ref _daemonStarts);
        if (Environment.GetEnvironmentVariable("APPLIANCE_BENCH_JIT_SUMMARY") is not { Length: > 0 } dir)
        {
            return UnitEnvironment.Value;
        }
        Directory.CreateDirectory(dir);
        return new Dictionary<string, string>(UnitEnvironment.Value)
        {
            ["DOTNET_JitStdOutFile"] = Path.Combine(Path.GetFullPath(dir), $"daemon-{start}.txt"),
            ["DOTNET_JitDisasmSummary"] = "1",
        };
    }

    private static async Task<(BackgroundProcess, double)> StartAsync(TestBox box, string daemonPath, string state, string socket)
    {
        IReadOnlyList<string> program = daemonPath.EndsWith(".dll", StringComparison.Ordinal) ? ["dotnet", daemonPath] : [daemonPath];
        long t0 = Stopwatch.GetTimestamp();
        BackgroundProcess process = box.StartOnMachine([.. program, "serve", "--state-dir", state, "--socket", socket, "--port", "8080",
            "--netns", box.Nas.NamespacePath, "--run-dir", box.RunDir, "--container-prefix", box.Prefix + "-", "--firewall-backend", "nftables"],
            DaemonEnvironment());
        using var client = new DaemonClient(socket);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the daemon exited with {process.ExitCode}:\n{process.Output}");
            }
            try
            {
                if ((await client.GetAsync<HealthResponse>("api/health")).Status == "ok")
                {
                    return (process, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
            }
            catch (DaemonClientException)
            {
            }
            if (Stopwatch.GetElapsedTime(t0) > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"the daemon did not serve in 60 s:\n{process.Output}");
            }
            await Task.Delay(5);
        }
    }

    /// <summary>p50 and p99 of 200 sequential GETs of <paramref name="path"/> over the daemon's socket, after 20 to warm up.</summary>
    private static async Task<string> LatencyAsync(string socket, string path, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(UnixSocketConnector.CreateHandler(socket)) { BaseAddress = UnixSocketConnector.BaseAddress };
        var ms = new List<double>();
        for (int i = 0; i < 220; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            using HttpResponseMessage response = await http.GetAsync(path, cancellationToken);
            await response.Content.ReadAsByteArrayAsync(cancellationToken);
            response.EnsureSuccessStatusCode();
            if (i >= 20)
            {
                ms.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
        }
        List<double> sorted = [.. ms.Order()];
        return string.Create(CultureInfo.InvariantCulture, $"{sorted[sorted.Count / 2]:0.00}, {sorted[(int)(sorted.Count * 0.99)]:0.00} ms");
    }

    /// <summary>Milliseconds until the sign-in page arrived at the box's laptop (curl's total time).</summary>
    private static async Task<double> PageAsync(TestBox box)
    {
        CommandResult page = await box.ExecAsync(box.Laptop, "curl", "-s", "-m", "60", "-o", "/dev/null", "-w", "%{http_code} %{time_total}",
            $"http://{TestBox.NasLanAddress}:8080/login");
        string[] result = page.Stdout.Split(' ');
        return result[0] == "200" ? double.Parse(result[1], CultureInfo.InvariantCulture) * 1000
            : throw new InvalidOperationException($"the sign-in page: {page.Stdout} {page.Stderr}");
    }

    private static async Task StopAsync(BackgroundProcess process)
    {
        process.Signal(15);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
    }

    private static BackgroundProcess StartPodman(TestBox box) =>
        box.StartOnMachine(["podman", "--root", Path.Combine(box.TempDir, "podman-root"), "--runroot", Path.Combine(box.RunDir, "podman"),
            "system", "service", "--time=0", "unix://" + Path.Combine(box.TempDir, "podman.sock")]);

    private static async Task WaitPodmanAsync(TestBox box, BackgroundProcess podman) =>
        await Poll.UntilAsync(async () => (await Command.RunAsync("curl", "-s", "--unix-socket", Path.Combine(box.TempDir, "podman.sock"), "http://d/_ping")).Stdout == "OK",
            TimeSpan.FromSeconds(30), () => $"podman system service did not answer:\n{podman.Output}");

    private static async Task<long> HealthRowsAsync(string state)
    {
        CommandResult result = await Command.RunAsync("sqlite3", "-readonly", Path.Combine(state, "appliance.db"), "SELECT COALESCE(MAX(id), 0) FROM health_history");
        return long.Parse(result.Stdout.Trim(), CultureInfo.InvariantCulture);
    }

    private static void TakeDownStacksAtTeardown(TestBox box, string state)
    {
        box.OnTeardown("stacks of the daemon", async () =>
        {
            using var images = new ImageStore(new ImageStoreOptions { Root = Path.Combine(state, "images") });
            using var network = new NetworkManager(box.Nas.Namespace);
            var runtime = new RuncRuntime(new RuntimeOptions { StateDirectory = state, RunDirectory = box.RunDir, ToolEnvironment = box.Environment });
            var engine = new StackEngine(new EngineOptions
            {
                StateDirectory = state, RunDirectory = box.RunDir, HostNamespace = box.Nas.Namespace, ContainerIdPrefix = box.Prefix + "-",
            }, runtime, images, network);
            foreach (string stack in engine.ListStacks())
            {
                await engine.DownAsync(stack, removeVolumes: true);
            }
        });
    }

    /// <summary>podman's storage bind-mounts its root on itself: unmount whatever is left under the box's dirs.</summary>
    private static Func<Task> UnmountUnderAsync(TestBox box) => async () =>
    {
        string[] mounts = (await File.ReadAllLinesAsync("/proc/self/mounts"))
            .Select(line => line.Split(' ')[1])
            .Where(point => point.StartsWith(box.TempDir + "/", StringComparison.Ordinal) || point.StartsWith(box.RunDir + "/", StringComparison.Ordinal))
            .OrderByDescending(point => point.Length).ToArray();
        foreach (string point in mounts)
        {
            await Command.RunAsync("umount", "-l", point);
        }
    };

    /// <summary>Where the resident memory is: anonymous, file-backed, shared (the JIT's W^X double mapping), threads, biggest mappings.</summary>
    private static string Breakdown(int pid)
    {
        string[] status = File.ReadAllLines($"/proc/{pid}/status");
        string Field(string name) => status.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal)).Split(':')[1].Trim();
        var byMapping = new Dictionary<string, long>();
        string current = "[anon]";
        foreach (string line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0 && parts[0].Contains('-', StringComparison.Ordinal) && !parts[0].EndsWith(':'))
            {
                current = parts.Length >= 6 ? Path.GetFileName(parts[5]) : "[anon]";
            }
            else if (parts is ["Rss:", var kb, ..])
            {
                byMapping[current] = byMapping.GetValueOrDefault(current) + long.Parse(kb, CultureInfo.InvariantCulture);
            }
        }
        string top = string.Join(", ", byMapping.OrderByDescending(m => m.Value).Take(12).Select(m => $"{m.Key} {m.Value / 1024.0:0.0}"));
        return $"  RssAnon {Field("RssAnon")}, RssFile {Field("RssFile")}, RssShmem {Field("RssShmem")}, threads {Field("Threads")}; MB by mapping: {top}";
    }

    private static string Load() => File.ReadAllText("/proc/loadavg").Trim();

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string Mb(long kb) => $"{kb / 1024.0:0} MB";

    private static string Cpu(Usage a, Usage b, int window) => $"{100.0 * (b.Ticks - a.Ticks) / ClockTicks / window:0.00} %";

    private static string CpuWithChildren(Usage a, Usage b, int window) =>
        $"{100.0 * (b.Ticks + b.ChildTicks - a.Ticks - a.ChildTicks) / ClockTicks / window:0.00} %";

    /// <summary>/proc/PID/stat utime+stime and cutime+cstime (clock ticks), /proc/PID/status VmRSS (kB).</summary>
    private sealed record Usage(long Ticks, long ChildTicks, long RssKb)
    {
        public static Usage Of(int pid)
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state): utime 14, stime 15, cutime 16, cstime 17.
            long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            long children = long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
            string rss = File.ReadAllLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return new Usage(ticks, children, long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture));
        }
    }
}
