using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Appliance.Orchestrator.Events;
using Appliance.TestSupport;
using Appliance.Web.Cli;
using Appliance.Web.Hosting;
using Microsoft.Data.Sqlite;

namespace Appliance.Integration.Tests.Daemon;

public sealed class DaemonTests
{
    private const int SigKill = 9;
    private const int SigTerm = 15;

    [Fact]
    public async Task DiskAlmostFull_RaisesOneAlert_AndSaysWhenSpaceIsBack()
    {
        await using TestBox box = await TestBox.CreateAsync();
        // The state directory on a 32 MiB disk of its own; unmounted after the daemon stopped (teardown runs in reverse).
        TmpfsMount disk = await TmpfsMount.CreateAsync(DaemonProcess.StateDirOf(box), 32);
        box.OnTeardown("tmpfs under the state directory", () => disk.DisposeAsync().AsTask());
        DaemonProcess daemon = await DaemonProcess.StartAsync(box, extraArguments: ["--disk-check-interval", "1"]);
        using DaemonClient client = daemon.Client();
        async Task<ApplianceEventRecord[]> DiskEventsAsync() =>
            [.. (await client.GetAsync<EventResponse[]>("api/daemon/events?max=1000")).Where(e => e.Message.Contains("disk", StringComparison.Ordinal))
                .Select(e => new ApplianceEventRecord(e.Id, e.Time, e.Kind, e.Stack, e.Service, e.Message, e.Reason))];

        disk.FillUntilFree(2);
        await Poll.UntilAsync(async () => (await DiskEventsAsync()).Any(e => e.Kind == EventKind.Alert), TimeSpan.FromSeconds(20),
            () => $"no alert about the disk. Daemon:\n{daemon.Process.Output}");
        ApplianceEventRecord alert = (await DiskEventsAsync()).Single(e => e.Kind == EventKind.Alert);
        Assert.StartsWith("the disk is almost full: ", alert.Message);
        Assert.EndsWith($"free of 32 MiB (2 %) on {DaemonProcess.StateDirOf(box)}", alert.Message);
        Assert.Contains("remove stacks or volumes you do not need", alert.Reason);

        // Space freed: said once (the hysteresis between 5 and 10 % is DiskSpaceTests'), and the one alert stays the only one.
        File.Delete(Path.Combine(disk.Path, "filler"));
        await Poll.UntilAsync(async () => (await DiskEventsAsync()).Any(e => e.Kind == EventKind.Daemon && e.Message.StartsWith("disk space is back: ", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20), () => $"no word that the space is back. Events: {string.Join("; ", DiskEventsAsync().Result.Select(e => e.Message))}");
        Assert.Single(await DiskEventsAsync(), e => e.Kind == EventKind.Alert);
    }

    [Fact]
    public async Task Serve_AnswersHealth_OnRootOnlySocket_AndOnTheLan()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonProcess daemon = await DaemonProcess.StartAsync(box);

        Assert.True(OperatingSystem.IsLinux());
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(daemon.SocketPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(daemon.SocketPath)!));
        }
        CommandResult health = await box.ExecAsync(box.Laptop, "curl", "-s", "-m", "5", $"http://{TestBox.NasLanAddress}:8080/api/health");
        Assert.Contains("\"status\":\"ok\"", health.Stdout);
        CommandResult status = await box.ExecAsync(box.Laptop, "curl", "-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}",
            $"http://{TestBox.NasLanAddress}:8080/api/daemon/status");
        Assert.Equal("401", status.Stdout);
        CommandResult machine = await Command.RunAsync("curl", "-s", "-m", "2", "http://127.0.0.1:8080/api/health");
        Assert.DoesNotContain(daemon.StateDir, machine.Stdout);

        using DaemonClient client = daemon.Client();
        DaemonStatusResponse own = await client.GetAsync<DaemonStatusResponse>("api/daemon/status");
        Assert.Equal(Path.Combine(daemon.StateDir, "appliance.db"), own.Database);
    }

    [Fact]
    public async Task Serve_StartsTheWebUi_OnItsFirstPage_NotForTheCliOrHealth()
    {
        // The UI (pages, sign-in, antiforgery, the key ring, Blazor) is a process of its own: a daemon only the CLI talks to
        // never starts it, and loads nothing it would need only to forward to it. The first page starts it, and the key ring is
        // created then (in STATE/keys).
        await using TestBox box = await TestBox.CreateAsync();
        DaemonProcess daemon = await DaemonProcess.StartAsync(box);
        string keys = Path.Combine(daemon.StateDir, "keys");
        using (DaemonClient client = daemon.Client())
        {
            await client.GetAsync<DaemonStatusResponse>("api/daemon/status");
        }
        Assert.Contains("\"status\":\"ok\"", (await box.ExecAsync(box.Laptop, "curl", "-s", "-m", "5", $"http://{TestBox.NasLanAddress}:8080/api/health")).Stdout);
        Assert.Empty(daemon.WebUiProcessIds());
        // Each assembly loaded costs 0.5-1.2 MB resident: these the idle daemon has no use for (MVC through an assembly
        // attribute read for the version; the HTTP client and YARP before any pull, update check, alert or page).
        string maps = File.ReadAllText($"/proc/{daemon.Process.Id}/maps");
        Assert.All(new[] { "Microsoft.AspNetCore.Mvc.Core.dll", "/System.Net.Http.dll", "Yarp.ReverseProxy.dll", "Microsoft.AspNetCore.Components" },
            dll => Assert.DoesNotContain(dll, maps, StringComparison.Ordinal));
        Assert.False(Directory.Exists(keys) && Directory.EnumerateFiles(keys).Any(), "the key ring was made without the UI");

        CommandResult login = await box.ExecAsync(box.Laptop, "curl", "-s", "-m", "30", "-w", "\n%{http_code}", $"http://{TestBox.NasLanAddress}:8080/login");

        Assert.EndsWith("\n200", login.Stdout);
        Assert.Contains("<form", login.Stdout);
        Assert.Single(daemon.WebUiProcessIds());
        await Poll.UntilAsync(() => Task.FromResult(Directory.Exists(keys) && Directory.EnumerateFiles(keys, "key-*.xml").Any()),
            TimeSpan.FromSeconds(15), () => $"no key in {keys} 15 s after the UI's first page");
        Assert.Single(Directory.EnumerateFiles(keys, "key-*.xml"));
    }

    [Fact]
    public async Task Serve_BuiltWithoutTheWebUi_AndNoneInstalledBeside_ServesTheCliAndHealth_AndSaysWhereTheUiIsMissing()
    {
        // -p:ApplianceWebUi=false (the daemon compiled ahead of time) sets this switch at build time; here the same switch is
        // set in a copy of the runtimeconfig, so the JIT-compiled daemon looks for the UI where install.sh puts it beside an AOT
        // daemon (ui/appliance), which a build folder does not have.
        await using TestBox box = await TestBox.CreateAsync();
        Directory.CreateDirectory(box.TempDir);
        string config = Path.Combine(box.TempDir, "appliance.runtimeconfig.json");
        JsonNode runtime = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(DaemonProcess.AppliancePath, ".runtimeconfig.json")))!;
        runtime["runtimeOptions"]!["configProperties"]!["Appliance.WebUi.IsSupported"] = false;
        File.WriteAllText(config, runtime.ToJsonString());

        DaemonProcess daemon = await DaemonProcess.StartAsync(box, runtimeConfig: config);

        using (DaemonClient client = daemon.Client())
        {
            Assert.Equal(0, (await client.GetAsync<DaemonStatusResponse>("api/daemon/status")).Stacks);
        }
        Assert.Contains("\"status\":\"ok\"", (await box.ExecAsync(box.Laptop, "curl", "-s", "-m", "5", $"http://{TestBox.NasLanAddress}:8080/api/health")).Stdout);
        CommandResult login = await box.ExecAsync(box.Laptop, "curl", "-s", "-m", "20", "-w", "\n%{http_code}", $"http://{TestBox.NasLanAddress}:8080/login");
        Assert.EndsWith("\n503", login.Stdout);
        Assert.Contains("the web UI is not installed: the daemon looks for it at " + Path.Combine(AppContext.BaseDirectory, "ui", "appliance"), login.Stdout);
        Assert.Contains("Your stacks and their firewall rules are not affected", login.Stdout);
        CommandResult api = await box.ExecAsync(box.Laptop, "curl", "-s", "-m", "20", $"http://{TestBox.NasLanAddress}:8080/api/stacks");
        Assert.StartsWith("{\"error\":\"the web UI is not installed", api.Stdout);
    }

    [Fact]
    public async Task Restart_BringsStateBack_AndSigtermRecordsTheStop()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonProcess first = await DaemonProcess.StartAsync(box);
        using (HttpClient http = first.RawClient())
        {
            await first.NoteAsync(http, "before restart");
        }
        await first.StopAsync(SigTerm, TimeSpan.FromSeconds(30));
        Assert.Equal(0, first.Process.ExitCode);
        Assert.False(File.Exists(first.SocketPath), "a clean stop removes its socket");

        DaemonProcess second = await DaemonProcess.StartAsync(box);
        using DaemonClient client = second.Client();
        EventResponse[] events = await client.GetAsync<EventResponse[]>("api/daemon/events?max=100");
        Assert.Equal(["firewall applied through nftables for 0 stack(s)", "daemon started", "before restart", "daemon stopping",
            "firewall applied through nftables for 0 stack(s)", "daemon started"], events.Select(e => e.Message));
    }

    [Fact]
    public async Task SecondDaemon_OnSameStateDir_IsRefused_WithTheReason()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonProcess first = await DaemonProcess.StartAsync(box);
        BackgroundProcess second = box.StartOnMachine(["dotnet", DaemonProcess.AppliancePath, "serve", "--state-dir", first.StateDir,
            "--socket", Path.Combine(box.TempDir, "other.sock"), "--port", "0", "--run-dir", box.RunDir, "--firewall-backend", "none"]);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await second.WaitForExitAsync(cts.Token);
        Assert.Equal(1, second.ExitCode);
        Assert.Contains($"another Appliance daemon (pid {first.Process.Id}) already uses the state directory", second.Output);
        using DaemonClient client = first.Client();
        Assert.Equal("ok", (await client.GetAsync<HealthResponse>("api/health")).Status);
    }

    [Fact]
    public async Task Sigkill_DuringWriteLoop_LosesNoAcknowledgedRow_AndDatabaseIsIntact()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonProcess daemon = await DaemonProcess.StartAsync(box);
        var acknowledged = new ConcurrentBag<(long Id, string Message)>();
        using var stopWriters = new CancellationTokenSource();
        Task[] writers = [.. Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            using HttpClient http = daemon.RawClient();
            for (int i = 0; !stopWriters.IsCancellationRequested; i++)
            {
                string message = $"writer {w} row {i}";
                try
                {
                    EventResponse stored = await daemon.NoteAsync(http, message, stopWriters.Token);
                    acknowledged.Add((stored.Id, message));
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
                {
                    return; // the daemon died mid-request: that row was never acknowledged
                }
            }
        }))];

        await Poll.UntilAsync(() => acknowledged.Count >= 200, TimeSpan.FromSeconds(60), () => $"only {acknowledged.Count} rows acknowledged");
        await daemon.StopAsync(SigKill, TimeSpan.FromSeconds(30));
        int atKill = acknowledged.Count;
        await stopWriters.CancelAsync();
        await Task.WhenAll(writers);
        Assert.Equal(137, daemon.Process.ExitCode);

        string database = Path.Combine(daemon.StateDir, "appliance.db");
        await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString()))
        {
            await connection.OpenAsync();
            using SqliteCommand check = connection.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", (string)(await check.ExecuteScalarAsync())!);
            using SqliteCommand rows = connection.CreateCommand();
            rows.CommandText = "SELECT id, message FROM events WHERE kind = 'note'";
            var stored = new Dictionary<long, string>();
            using SqliteDataReader reader = await rows.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                stored[reader.GetInt64(0)] = reader.GetString(1);
            }
            (long Id, string Message)[] lost = [.. acknowledged.Where(a => !stored.TryGetValue(a.Id, out string? m) || m != a.Message)];
            Assert.True(lost.Length == 0, $"{lost.Length} of {acknowledged.Count} acknowledged rows are missing after SIGKILL, e.g. {string.Join(", ", lost.Take(3))}");
            Assert.True(atKill >= 200);
        }

        // A new daemon takes over the same state dir and socket (stale socket, lock released by the kernel).
        DaemonProcess again = await DaemonProcess.StartAsync(box);
        using DaemonClient client = again.Client();
        // Both "daemon started" events, every acknowledged note, and at most one in-flight note per writer that committed
        // before the kill but whose answer never arrived.
        int total = (await client.GetAsync<EventResponse[]>("api/daemon/events?max=10000")).Length;
        Assert.InRange(total, acknowledged.Count + 2, acknowledged.Count + 2 + writers.Length);
    }

    [Fact]
    public async Task BadInput_Gets4xx_WithTheError_AndStateStays()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonProcess daemon = await DaemonProcess.StartAsync(box);
        using HttpClient http = daemon.RawClient();
        await daemon.NoteAsync(http, "the only note");

        async Task<(HttpStatusCode Status, string Body)> Send(HttpMethod method, string path, string body, string type = "application/json")
        {
            using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, type) };
            using HttpResponseMessage response = await http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        (HttpStatusCode status, string body) = await Send(HttpMethod.Post, "api/daemon/events", "{\"message\": \"x\"");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("not well-formed JSON", body);

        (status, body) = await Send(HttpMethod.Post, "api/daemon/events", "{\"message\": 42}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("$.message has a value of the wrong type", body);

        (status, body) = await Send(HttpMethod.Post, "api/daemon/events", "{\"message\": \"x\", \"severity\": 3}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("$.severity is not a field this endpoint knows", body);

        (status, body) = await Send(HttpMethod.Post, "api/daemon/events", "{\"stack\": \"gitlab\"}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("message", body);

        (status, body) = await Send(HttpMethod.Post, "api/daemon/events", "message=x", "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);

        (status, body) = await Send(HttpMethod.Post, "api/daemon/events", "{\"message\": \"" + new string('a', 64 * 1024) + "\"}");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("larger than 16 KiB", body);

        (status, body) = await Send(HttpMethod.Put, "api/daemon/stacks/gitlab", "{\"stackFile\": \"" + new string('a', 3 * 1024 * 1024) + "\"}");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);

        (status, body) = await Send(HttpMethod.Put, "api/daemon/stacks/Git..lab", "{\"stackFile\": \"services: {}\"}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("is not a stack name", body);

        (status, body) = await Send(HttpMethod.Put, "api/daemon/stacks/gitlab", "{\"stackFile\": \"services: {}\", \"parameters\": [1, 2]}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("$.parameters has a value of the wrong type", body);

        (status, body) = await Send(HttpMethod.Post, "api/daemon/events", "null");
        Assert.Equal(HttpStatusCode.BadRequest, status);

        using DaemonClient client = daemon.Client();
        EventResponse[] events = await client.GetAsync<EventResponse[]>("api/daemon/events?max=100");
        Assert.Equal(["firewall applied through nftables for 0 stack(s)", "daemon started", "the only note"], events.Select(e => e.Message));
        Assert.Equal("ok", (await client.GetAsync<HealthResponse>("api/health")).Status);
    }

    [Fact]
    public async Task Cli_Events_TalksToDaemon_OverTheSocket_AndSaysWhenItIsNotRunning()
    {
        await using TestBox box = await TestBox.CreateAsync();
        string socket = DaemonProcess.SocketOf(box);
        CommandResult down = await Command.RunAsync(["dotnet", DaemonProcess.AppliancePath, "events", "--daemon-socket", socket]);
        Assert.Equal(1, down.ExitCode);
        Assert.Contains("the Appliance daemon is not running", down.Stderr);

        DaemonProcess daemon = await DaemonProcess.StartAsync(box);
        (await Command.RunAsync(["dotnet", DaemonProcess.AppliancePath, "events", "note", "disk 2 replaced", "--daemon-socket", socket])).EnsureSuccess();
        CommandResult events = (await Command.RunAsync(["dotnet", DaemonProcess.AppliancePath, "events", "--daemon-socket", socket])).EnsureSuccess();
        Assert.Contains("daemon started", events.Stdout);
        Assert.Contains($"{EventKind.Note,-9}: disk 2 replaced (note by root)", events.Stdout);
        CommandResult stacks = (await Command.RunAsync(["dotnet", DaemonProcess.AppliancePath, "stack", "ls", "--daemon-socket", socket])).EnsureSuccess();
        Assert.Contains("no stacks deployed", stacks.Stdout);
        _ = daemon;
    }
}
