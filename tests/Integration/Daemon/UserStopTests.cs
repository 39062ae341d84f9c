using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Runtime;
using Appliance.TestSupport;
using Appliance.TestSupport.Registry;
using Appliance.Web.Cli;
using Appliance.Web.Hosting;

namespace Appliance.Integration.Tests.Daemon;

/// <summary>
/// Issue 9's restart semantics against real containers through `appliance serve`: a user's stop is remembered (unless-stopped
/// stays down across a daemon restart, always comes back as Docker does), an exited container is noticed by the exit watch
/// (conmon's exit file, inotify) rather than the periodic pass, and a stop honours stop_grace_period and stop_signal.
/// </summary>
[Collection(RegistryFixture.Collection)]
public sealed class UserStopTests(RegistryFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private string Service(string name, string restart, string extra = "", string command = "trap 'exit 0' TERM; sleep 3600 & wait") => $$"""
          {{name}}:
            image: {{fixture.Registry.Reference(TestImages.Busybox)}}
            restart: {{restart}}
            command: ["sh", "-c", "{{command}}"]
        {{extra}}
        """;

    [Fact]
    public async Task UserStop_UnlessStoppedStaysStoppedAcrossADaemonRestart_AlwaysComesBack()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonProcess daemon = await StartDaemonAsync(box, reconcileIntervalSeconds: 1);
        await daemon.DeployAsync("us", $"""
            name: us
            services:
            {Service("always", "always")}
            {Service("unless", "unless-stopped")}
            """);
        using DaemonEngine engine = DaemonEngine.Open(box);
        using (DaemonClient client = daemon.Client())
        {
            // always through the API, unless-stopped through the CLI (`appliance stack stop NAME SERVICE`).
            OperationResponse stopped = await client.SendJsonAsync<OperationResponse>(HttpMethod.Post, "api/daemon/stacks/us/services/always/stop", null);
            Assert.True(stopped.Succeeded, stopped.Message);
            CommandResult cli = (await Command.RunAsync(["dotnet", DaemonProcess.AppliancePath, "stack", "stop", "us", "unless", "--daemon-socket", daemon.SocketPath]))
                .EnsureSuccess();
            Assert.Contains("'us/unless' stopped", cli.Stdout);
            Assert.Equal(ContainerStatus.Stopped, (await engine.InspectAsync("us", "always")).Status);
            Assert.Equal(ContainerStatus.Stopped, (await engine.InspectAsync("us", "unless")).Status);
            // What must not happen has no event to wait for: watch for 3 s, longer than a restart would take (the stops wake a pass
            // through the exit watch, passes run every 1 s, the first restart's backoff is 1 s).
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Equal(ContainerStatus.Stopped, (await engine.InspectAsync("us", "always")).Status);
            Assert.Equal(ContainerStatus.Stopped, (await engine.InspectAsync("us", "unless")).Status);
            Assert.DoesNotContain(await DaemonProcess.EventsAsync(client, "us"), e => e.Kind == EventKind.Restart && e.Message == "restarted");
        }

        await daemon.StopAsync(15, TimeSpan.FromSeconds(30));
        daemon = await DaemonProcess.StartAsync(box, extraArguments: ["--reconcile-interval", "1"], deployTimeoutSeconds: 60);
        using (DaemonClient client = daemon.Client())
        {
            await Poll.UntilAsync(async () => await StatusAsync(engine, "us", "always") == ContainerStatus.Running, Deadline,
                () => $"always did not come back after the daemon restarted. Events:\n{Describe(DaemonProcess.EventsAsync(client, "us").Result)}\nDaemon:\n{daemon.Process.Output}");
            EventResponse back = Assert.Single(await DaemonProcess.EventsAsync(client, "us"), e => e.Service == "always" && e.Message == "started after the daemon started");
            Assert.Contains("even after a user stopped it", back.Reason);
            // The same start-up pass that brought always back left unless-stopped down (later passes never start what a user stopped).
            Assert.Equal(ContainerStatus.Stopped, (await engine.InspectAsync("us", "unless")).Status);
            Assert.DoesNotContain(await DaemonProcess.EventsAsync(client, "us"), e => e.Service == "unless" && e.Message is "started after the daemon started" or "restarted");

            OperationResponse started = await client.SendJsonAsync<OperationResponse>(HttpMethod.Post, "api/daemon/stacks/us/services/unless/start", null);
            Assert.True(started.Succeeded, started.Message);
            Assert.Equal(ContainerStatus.Running, await StatusAsync(engine, "us", "unless"));

            // `appliance stack restart NAME SERVICE` restarts a running service.
            CommandResult restart = (await Command.RunAsync(["dotnet", DaemonProcess.AppliancePath, "stack", "restart", "us", "unless",
                "--daemon-socket", daemon.SocketPath])).EnsureSuccess();
            Assert.Contains("'us/unless' restarted", restart.Stdout);
            Assert.Equal(ContainerStatus.Running, await StatusAsync(engine, "us", "unless"));
            Assert.Contains(await DaemonProcess.EventsAsync(client, "us"), e => e.Service == "unless" && e.Kind == EventKind.Restart && e.Message == "restarted");
        }
    }

    [Fact]
    public async Task ExitWatch_KilledContainer_IsRestartedWithinSeconds_ThoughThePeriodicPassIsMinutesAway()
    {
        await using TestBox box = await TestBox.CreateAsync();
        // A periodic pass only every 10 min: a prompt restart can only come from the exit watch.
        DaemonProcess daemon = await StartDaemonAsync(box, reconcileIntervalSeconds: 600);
        await daemon.DeployAsync("ew", $"""
            name: ew
            services:
            {Service("app", "always")}
            """);
        using DaemonEngine engine = DaemonEngine.Open(box);
        using DaemonClient client = daemon.Client();
        ContainerState before = await engine.InspectAsync("ew", "app");
        Assert.True(before.Pid > 0, "app has no pid");

        var clock = Stopwatch.StartNew();
        Process.GetProcessById(before.Pid).Kill(); // the container's process, started by this test's daemon
        // Through `ps`: in the middle of a restart runc briefly knows no container by that id.
        await Poll.UntilAsync(async () => (await engine.Engine.PsAsync("ew")).Single(r => r.Service == "app") is { Status: ContainerStatus.Running } now
                && now.StartedAt > before.Created,
            TimeSpan.FromSeconds(20), () => $"app was not restarted within 20 s. Events:\n{Describe(DaemonProcess.EventsAsync(client, "ew").Result)}\nDaemon:\n{daemon.Process.Output}");
        TimeSpan took = clock.Elapsed;

        // 1 s is the first restart's backoff; the rest is the exit watch and runc.
        Assert.True(took < TimeSpan.FromSeconds(4), $"restarted after {took.TotalSeconds:0.0} s");
        Assert.Contains(await DaemonProcess.EventsAsync(client, "ew"), e => e.Service == "app" && e.Kind == EventKind.Restart && e.Message == "restarted");
    }

    [Fact]
    public async Task Stop_HonoursStopGracePeriod_AndStopSignal()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonEngine.TakeDownAtTeardown(box);
        DaemonProcess daemon = await DaemonProcess.StartAsync(box, deployTimeoutSeconds: 60);
        // stubborn ignores SIGTERM (its children inherit that), so only SIGKILL after the grace period ends it; usr1 leaves on
        // SIGUSR1 only (as PID 1 without a handler it would ignore SIGTERM and wait out the default 10 s).
        await daemon.DeployAsync("gr", $"""
            name: gr
            services:
            {Service("stubborn", "always", "    stop_grace_period: 1s", "trap '' TERM; sleep 3600 & wait")}
            {Service("usr1", "always", "    stop_signal: SIGUSR1", "trap 'exit 0' USR1; sleep 3600 & wait")}
            """);
        using DaemonEngine engine = DaemonEngine.Open(box);
        using DaemonClient client = daemon.Client();

        TimeSpan stubborn = await TimedStopAsync(client, "gr", "stubborn");
        TimeSpan usr1 = await TimedStopAsync(client, "gr", "usr1");

        Assert.InRange(stubborn.TotalSeconds, 0.95, 4);
        Assert.Equal(137, (await engine.InspectAsync("gr", "stubborn")).ExitCode);
        Assert.True(usr1 < TimeSpan.FromSeconds(3), $"usr1 took {usr1.TotalSeconds:0.0} s to stop");
        Assert.Equal(0, (await engine.InspectAsync("gr", "usr1")).ExitCode);
    }

    [Fact]
    public async Task MissingContainer_IsRecreatedAlone_RunningServicesUntouched_UserStoppedOneLeftStopped()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonProcess daemon = await StartDaemonAsync(box, reconcileIntervalSeconds: 1);
        await daemon.DeployAsync("cv", $"""
            name: cv
            services:
            {Service("db", "always")}
            {Service("app", "always", "    depends_on: [db]")}
            {Service("worker", "always")}
            """);
        using DaemonEngine engine = DaemonEngine.Open(box);
        using DaemonClient client = daemon.Client();
        OperationResponse stopped = await client.SendJsonAsync<OperationResponse>(HttpMethod.Post, "api/daemon/stacks/cv/services/worker/stop", null);
        Assert.True(stopped.Succeeded, stopped.Message);
        ContainerState db = await engine.InspectAsync("cv", "db");
        ContainerState app = await engine.InspectAsync("cv", "app");
        string? appAddress = (await engine.Engine.PsAsync("cv")).Single(r => r.Service == "app").Address;

        // app's container disappears behind Appliance's back (as after `runc delete`): only app is made again.
        (await Command.RunAsync("runc", "--root", Path.Combine(box.RunDir, "runc"), "delete", "--force", app.Id)).EnsureSuccess();
        await Poll.UntilAsync(async () => (await DaemonProcess.EventsAsync(client, "cv")).Any(e => e.Message.StartsWith("recreated missing services", StringComparison.Ordinal)),
            Deadline, () => $"app was not recreated. Events:\n{Describe(DaemonProcess.EventsAsync(client, "cv").Result)}\nDaemon:\n{daemon.Process.Output}");
        await Poll.UntilAsync(async () => await StatusAsync(engine, "cv", "app") == ContainerStatus.Running, Deadline,
            () => $"app does not run again. Daemon:\n{daemon.Process.Output}");

        EventResponse recreated = Assert.Single(await DaemonProcess.EventsAsync(client, "cv"), e => e.Message.StartsWith("recreated missing services", StringComparison.Ordinal));
        Assert.Equal("recreated missing services: app", recreated.Message);
        ContainerState dbAfter = await engine.InspectAsync("cv", "db");
        Assert.Equal(db.Pid, dbAfter.Pid); // the same process: not restarted, not recreated
        Assert.Equal(db.Created, dbAfter.Created);
        Assert.NotEqual(app.Created, (await engine.InspectAsync("cv", "app")).Created);
        Assert.Equal(appAddress, (await engine.Engine.PsAsync("cv")).Single(r => r.Service == "app").Address);
        // The service a user stopped was not started by the pass that recreated app.
        Assert.Equal(ContainerStatus.Stopped, await StatusAsync(engine, "cv", "worker"));
        Assert.DoesNotContain(await DaemonProcess.EventsAsync(client, "cv"), e => e.Service == "worker" && e.Message is "started" or "restarted");
        // app's new veth is on the stack's bridge, with the two others: one each, nothing left of the old one.
        CommandResult ports = (await box.ExecAsync(box.Nas, "ip", "-o", "link", "show", "master", InterfaceNames.Bridge("cv"))).EnsureSuccess();
        Assert.Equal(3, ports.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains(InterfaceNames.HostVeth("cv", "app"), ports.Stdout);
    }

    [Fact]
    public async Task StackStopThenStart_KeepsTheContainers_AndStartWaitsForTheDatabaseToBeHealthy()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonProcess daemon = await StartDaemonAsync(box, reconcileIntervalSeconds: 1);
        // db is healthy 2 s after each start (its marker file is made afresh); app may only start once it is.
        await daemon.DeployAsync("ss", $$"""
            name: ss
            services:
              db:
                image: {{fixture.Registry.Reference(TestImages.Busybox)}}
                restart: always
                command: ["sh", "-c", "rm -f /tmp/ready; (sleep 2; touch /tmp/ready) & trap 'exit 0' TERM; sleep 3600 & wait"]
                healthcheck:
                  test: ["CMD", "test", "-f", "/tmp/ready"]
                  interval: 1s
                  timeout: 2s
                  retries: 10
              app:
                image: {{fixture.Registry.Reference(TestImages.Busybox)}}
                restart: always
                command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
                depends_on:
                  db:
                    condition: service_healthy
            """);
        using DaemonEngine engine = DaemonEngine.Open(box);
        using DaemonClient client = daemon.Client();
        string dbId = (await engine.InspectAsync("ss", "db")).Id;
        string appId = (await engine.InspectAsync("ss", "app")).Id;

        OperationResponse stopped = await client.SendJsonAsync<OperationResponse>(HttpMethod.Post, "api/daemon/stacks/ss/stop", null);
        Assert.True(stopped.Succeeded, stopped.Message);
        Assert.Equal(ContainerStatus.Stopped, (await engine.InspectAsync("ss", "db")).Status);
        Assert.Equal(ContainerStatus.Stopped, (await engine.InspectAsync("ss", "app")).Status);

        OperationResponse started = await client.SendJsonAsync<OperationResponse>(HttpMethod.Post, "api/daemon/stacks/ss/start", null);
        Assert.True(started.Succeeded, started.Message);
        ContainerState db = await engine.InspectAsync("ss", "db");
        ContainerState app = await engine.InspectAsync("ss", "app");
        Assert.Equal((ContainerStatus.Running, ContainerStatus.Running), (db.Status, app.Status));
        Assert.Equal((dbId, appId), (db.Id, app.Id)); // the same containers, started again (compose stop / start), not new ones
        Assert.True(app.Created - db.Created >= TimeSpan.FromSeconds(1.5),
            $"app started {(app.Created - db.Created).TotalSeconds:0.00} s after db: it did not wait for db to be healthy. Daemon:\n{daemon.Process.Output}");
    }

    /// <summary>`appliance serve` on the box with the given reconcile interval; whatever it leaves is taken down at teardown.</summary>
    private static Task<DaemonProcess> StartDaemonAsync(TestBox box, int reconcileIntervalSeconds)
    {
        DaemonEngine.TakeDownAtTeardown(box);
        return DaemonProcess.StartAsync(box, extraArguments: ["--reconcile-interval", reconcileIntervalSeconds.ToString(CultureInfo.InvariantCulture)],
            deployTimeoutSeconds: 60);
    }

    /// <summary>Through `ps`: in the middle of a restart runc briefly knows no container by that id (ps says stopped then).</summary>
    private static async Task<ContainerStatus> StatusAsync(DaemonEngine engine, string stack, string service) =>
        (await engine.Engine.PsAsync(stack)).Single(r => r.Service == service).Status;

    private static async Task<TimeSpan> TimedStopAsync(DaemonClient client, string stack, string service)
    {
        var clock = Stopwatch.StartNew();
        OperationResponse stopped = await client.SendJsonAsync<OperationResponse>(HttpMethod.Post, $"api/daemon/stacks/{stack}/services/{service}/stop", null);
        Assert.True(stopped.Succeeded, stopped.Message);
        return clock.Elapsed;
    }

    private static string Describe(IEnumerable<EventResponse> events) => string.Join('\n',
        events.Select(e => $"{e.Id} {e.Time.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)} {e.Kind} {e.Service}: {e.Message} ({e.Reason})"));
}
