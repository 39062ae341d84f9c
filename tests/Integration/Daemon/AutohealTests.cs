using System.Globalization;
using System.Net.Http.Json;
using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Runtime;
using Appliance.TestSupport;
using Appliance.TestSupport.Registry;
using Appliance.Web.Cli;
using Appliance.Web.Hosting;
using Appliance.Web.Ui.Backend;

namespace Appliance.Integration.Tests.Daemon;

/// <summary>
/// Issue 9 against real containers: `appliance serve` with the real engine (runc, conmon, netlink in the box's nas) runs
/// the stacks; health checks, autoheal and restart policies act as the daemon wires them; the test pokes the containers
/// from outside (exec `probe-health off`, a file in a volume, SIGKILL of a container's process by its pid) and reads what
/// happened through the daemon's API (events, health, autoheal restart counts) and runc (when a container last started).
/// Intervals of 1 s and backoffs of 1-2 s keep each test within a minute.
/// </summary>
[Collection(RegistryFixture.Collection)]
public sealed class AutohealTests(RegistryFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ExecTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The gitlab-shaped stack: gitlab-probe's check also asks the database (as GitLab's readiness does), so it
    /// turns unhealthy when PostgreSQL is down; the database has restart "no", so once killed it stays down until started.</summary>
    private string GitlabStack() => $$"""
        name: gl
        services:
          redis:
            image: {{fixture.Registry.Reference(TestImages.Redis)}}
            restart: always
            healthcheck:
              test: ["CMD", "redis-cli", "ping"]
              interval: 1s
              timeout: 2s
              retries: 3
              start_period: 30s
          postgresql:
            image: {{fixture.Registry.Reference(TestImages.Postgresql)}}
            restart: "no"
            environment:
              POSTGRES_USER: gitlab
              POSTGRES_PASSWORD: probe-secret-0123
              POSTGRES_DB: gitlabhq_production
            healthcheck:
              test: ["CMD-SHELL", "pg_isready -h 127.0.0.1 -U gitlab -d gitlabhq_production"]
              interval: 1s
              timeout: 2s
              retries: 3
              start_period: 30s
          gitlab:
            image: {{fixture.Registry.Reference(TestImages.GitlabProbe)}}
            restart: always
            depends_on:
              postgresql:
                condition: service_healthy
              redis:
                condition: service_healthy
            environment:
              DB_HOST: postgresql
              REDIS_HOST: redis
            healthcheck:
              test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1/-/liveness && pg_isready -h postgresql -t 1"]
              interval: 1s
              timeout: 3s
              retries: 2
              start_period: 30s
            x-appliance:
              autoheal:
                max_restarts: 3
                window: 1m
                backoff: 1s
        """;

    [Fact]
    public async Task Autoheal_GitlabProbeMadeUnhealthy_IsRestarted_AndHealthyAgain()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonProcess daemon = await StartDaemonAsync(box);
        using DaemonClient client = daemon.Client();
        await daemon.DeployAsync("gl", GitlabStack());
        using DaemonEngine engine = DaemonEngine.Open(box);
        ContainerState before = await engine.InspectAsync("gl", "gitlab");

        ExecResult off = await engine.Engine.ExecAsync("gl", "gitlab", ["probe-health", "off"], ExecTimeout);
        Assert.True(off.Succeeded, $"probe-health off: {off.Stdout}{off.Stderr}");

        await Poll.UntilAsync(async () => (await DaemonProcess.EventsAsync(client, "gl")).Any(e => IsRecovered(e, "gitlab")), Deadline,
            () => $"gitlab-probe was not healed. Events:\n{Describe(DaemonProcess.EventsAsync(client, "gl").Result)}\nDaemon:\n{daemon.Process.Output}");

        EventResponse[] events = await DaemonProcess.EventsAsync(client, "gl");
        EventResponse unhealthy = Assert.Single(events, e => e.Kind == EventKind.Health && e.Service == "gitlab" && e.Message == "healthy -> unhealthy");
        Assert.Contains("404", unhealthy.Reason);
        EventResponse restart = Assert.Single(events, e => IsAutohealRestart(e, "gitlab"));
        Assert.Contains("unhealthy since", restart.Reason);
        Assert.Contains("restart 1", restart.Reason);
        Assert.True(restart.Id > unhealthy.Id && events.Single(e => IsRecovered(e, "gitlab")).Id > restart.Id, Describe(events));
        ContainerState after = await engine.InspectAsync("gl", "gitlab");
        Assert.Equal(ContainerStatus.Running, after.Status);
        Assert.True(after.Created > before.Created, $"the container was not started anew: created {before.Created:O}, now {after.Created:O}");
        ServiceSummary gitlab = await ServiceAsync(client, "gl", "gitlab");
        Assert.Equal(("healthy", 1), (gitlab.Health, gitlab.AutohealRestarts));
        ExecResult live = await engine.Engine.ExecAsync("gl", "gitlab", ["wget", "-q", "-O-", "http://127.0.0.1/-/liveness"], ExecTimeout);
        Assert.True(live.Succeeded, $"/-/liveness after the restart: {live.Stdout}{live.Stderr}");
    }

    [Fact]
    public async Task Autoheal_ContainerThatNeverRecovers_TripsTheCircuitBreaker_AndIsNotRestartedAgain()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonProcess daemon = await StartDaemonAsync(box);
        using DaemonClient client = daemon.Client();
        // The owner's webhook (Settings > Alerts), on loopback.
        await using var webhook = new WebhookReceiver();
        using (HttpClient http = daemon.RawClient())
        using (HttpResponseMessage saved = await http.PutAsJsonAsync("api/settings/alerts", new { webhookUrl = webhook.Url }))
        {
            Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync());
        }
        // Healthy until /state/broken exists; the file is in a volume, so no restart heals it.
        await daemon.DeployAsync("sick", $$"""
            name: sick
            services:
              app:
                image: {{fixture.Registry.Reference(TestImages.Busybox)}}
                command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
                restart: always
                volumes: ["state:/state"]
                healthcheck:
                  test: ["CMD-SHELL", "test ! -e /state/broken"]
                  interval: 1s
                  timeout: 2s
                  retries: 1
                x-appliance:
                  autoheal:
                    max_restarts: 2
                    window: 1m
                    backoff: 2s
            volumes:
              state: {}
            """);
        using DaemonEngine engine = DaemonEngine.Open(box);

        ExecResult broken = await engine.Engine.ExecAsync("sick", "app", ["touch", "/state/broken"], ExecTimeout);
        Assert.True(broken.Succeeded, $"touch /state/broken: {broken.Stdout}{broken.Stderr}");

        await Poll.UntilAsync(async () => (await DaemonProcess.EventsAsync(client, "sick")).Any(e => e.Kind == EventKind.Alert && e.Service == "app"), Deadline,
            () => $"no alert: the breaker did not open. Events:\n{Describe(DaemonProcess.EventsAsync(client, "sick").Result)}\nDaemon:\n{daemon.Process.Output}");
        EventResponse alert = Assert.Single(await DaemonProcess.EventsAsync(client, "sick"), e => e.Kind == EventKind.Alert);
        Assert.Equal("autoheal gave up: circuit breaker open", alert.Message);
        Assert.Contains("after 2 restarts within 1 min", alert.Reason);
        // ... and is posted to the webhook.
        await Poll.UntilAsync(() => Task.FromResult(webhook.Bodies.Any(b => b.Contains("circuit breaker open", StringComparison.Ordinal))), TimeSpan.FromSeconds(10),
            () => $"the webhook got no alert; it got: {string.Join('\n', webhook.Bodies)}\nDaemon:\n{daemon.Process.Output}");
        using (var posted = System.Text.Json.JsonDocument.Parse(webhook.Bodies.Single(b => b.Contains("circuit breaker open", StringComparison.Ordinal))))
        {
            Assert.EndsWith(": sick/app", posted.RootElement.GetProperty("title").GetString());
            Assert.Equal($"autoheal gave up: circuit breaker open ({alert.Reason})", posted.RootElement.GetProperty("message").GetString());
            Assert.Equal(("alert", "sick", "app"), (posted.RootElement.GetProperty("kind").GetString(), posted.RootElement.GetProperty("stack").GetString(),
                posted.RootElement.GetProperty("service").GetString()));
        }
        ContainerState atAlert = await engine.InspectAsync("sick", "app");

        // A few more intervals: the check keeps running and failing, and nobody restarts the container.
        await Poll.UntilAsync(async () => (await HistoryAsync(client, "sick", "app")).Count(h => h.Time > alert.Time) >= 4, TimeSpan.FromSeconds(20),
            () => $"the health check did not run 4 more times after the breaker opened:\n{string.Join('\n', HistoryAsync(client, "sick", "app").Result)}");
        EventResponse[] events = await DaemonProcess.EventsAsync(client, "sick");
        EventResponse[] restarts = [.. events.Where(e => IsAutohealRestart(e, "app"))];
        Assert.Equal(2, restarts.Length);
        Assert.True(restarts[1].Time - restarts[0].Time >= TimeSpan.FromSeconds(1.9), $"no backoff between the restarts:\n{Describe(events)}");
        Assert.True(alert.Time - restarts[1].Time >= TimeSpan.FromSeconds(3.9), $"the breaker did not wait out the second backoff:\n{Describe(events)}");
        Assert.Single(events, e => e.Kind == EventKind.Alert);
        Assert.DoesNotContain(events, e => e.Kind == EventKind.Restart && e.Service == "app");
        Assert.All((await HistoryAsync(client, "sick", "app")).Where(h => h.Time > alert.Time), h => Assert.Equal("unhealthy", h.Health));
        ContainerState now = await engine.InspectAsync("sick", "app");
        Assert.Equal((ContainerStatus.Running, atAlert.Created), (now.Status, now.Created));
        ServiceSummary app = await ServiceAsync(client, "sick", "app");
        Assert.Equal(("unhealthy", 2, "circuit breaker open"), (app.Health, app.AutohealRestarts, app.Autoheal));
    }

    [Fact]
    public async Task Autoheal_DatabaseDown_GitlabProbeIsNotRestartedInALoop_AndRecoversOnceTheDatabaseIsBack()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonProcess daemon = await StartDaemonAsync(box);
        using DaemonClient client = daemon.Client();
        await daemon.DeployAsync("gl", GitlabStack());
        using DaemonEngine engine = DaemonEngine.Open(box);
        ContainerState gitlabBefore = await engine.InspectAsync("gl", "gitlab");
        ContainerState database = await engine.InspectAsync("gl", "postgresql");
        Assert.True(database.Pid > 0, "postgresql has no pid");

        // The database dies (SIGKILL of the container's process, started by this test's daemon); restart "no" keeps it down.
        System.Diagnostics.Process.GetProcessById(database.Pid).Kill();

        await Poll.UntilAsync(async () => (await DaemonProcess.EventsAsync(client, "gl")).Any(e => IsWaiting(e, "gitlab")), Deadline,
            () => $"gitlab-probe did not wait for its database. Events:\n{Describe(DaemonProcess.EventsAsync(client, "gl").Result)}\nDaemon:\n{daemon.Process.Output}");
        EventResponse waiting = Assert.Single(await DaemonProcess.EventsAsync(client, "gl"), e => IsWaiting(e, "gitlab"));
        Assert.Contains("dependency 'postgresql' is not running", waiting.Reason);
        // Several more failing checks while the database stays down: no restart, no second event, the same container.
        await Poll.UntilAsync(async () => (await HistoryAsync(client, "gl", "gitlab")).Count(h => h.Time > waiting.Time) >= 5, TimeSpan.FromSeconds(20),
            () => $"gitlab-probe's check did not run 5 more times:\n{string.Join('\n', HistoryAsync(client, "gl", "gitlab").Result)}");
        EventResponse[] events = await DaemonProcess.EventsAsync(client, "gl");
        Assert.Contains(events, e => e.Kind == EventKind.Health && e.Service == "gitlab" && e.Message == "healthy -> unhealthy");
        Assert.DoesNotContain(events, e => IsAutohealRestart(e, "gitlab"));
        Assert.Single(events, e => IsWaiting(e, "gitlab"));
        Assert.Contains(events, e => e.Kind == EventKind.Restart && e.Service == "postgresql" && e.Message == "not restarted");
        Assert.All((await HistoryAsync(client, "gl", "gitlab")).Where(h => h.Time > waiting.Time), h => Assert.Equal("unhealthy", h.Health));
        Assert.Equal(gitlabBefore.Created, (await engine.InspectAsync("gl", "gitlab")).Created);
        ServiceSummary down = await ServiceAsync(client, "gl", "postgresql");
        Assert.Equal(("exited", 137), (down.State, down.ExitCode));

        // The owner starts the database again: gitlab-probe recovers (on its own, or with one restart once the database is healthy).
        OperationResponse started = await client.SendJsonAsync<OperationResponse>(HttpMethod.Post, "api/daemon/stacks/gl/services/postgresql/start", null);
        Assert.True(started.Succeeded && started.Version == 1, $"{started.Version}: {started.Message}");
        using (HttpClient http = daemon.RawClient())
        using (HttpResponseMessage unknown = await http.PostAsync("api/daemon/stacks/gl/services/mysql/start", null))
        {
            Assert.Equal(System.Net.HttpStatusCode.NotFound, unknown.StatusCode);
        }
        await Poll.UntilAsync(async () => (await DaemonProcess.EventsAsync(client, "gl")).Any(e => IsRecovered(e, "gitlab")), Deadline,
            () => $"gitlab-probe did not recover. Events:\n{Describe(DaemonProcess.EventsAsync(client, "gl").Result)}\nDaemon:\n{daemon.Process.Output}");
        events = await DaemonProcess.EventsAsync(client, "gl");
        Assert.InRange(events.Count(e => IsAutohealRestart(e, "gitlab")), 0, 1);
        Assert.Equal("healthy", (await ServiceAsync(client, "gl", "gitlab")).Health);
        Assert.Contains(events, e => e.Kind == EventKind.Restart && e.Service == "postgresql" && e.Message == "started" && e.Reason == "by root");
    }

    [Fact]
    public async Task RestartPolicies_OnFailureTwo_IsRestartedTwiceWithBackoff_No_IsNot_Always_Is()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonProcess daemon = await StartDaemonAsync(box);
        using DaemonClient client = daemon.Client();
        // Each service notes every run in the shared volume, then waits for /state/go and exits (3, or 0 for always);
        // a restarted one finds /state/go and exits at once.
        string Service(string name, string restart, int exitCode) => $$"""
              {{name}}:
                image: {{fixture.Registry.Reference(TestImages.Busybox)}}
                restart: "{{restart}}"
                volumes: ["state:/state"]
                command: ["sh", "-c", "echo run >> /state/{{name}}.runs; trap 'exit 0' TERM; while [ ! -e /state/go ]; do sleep 0.1; done; exit {{exitCode}}"]
            """;
        await daemon.DeployAsync("pol", $$"""
            name: pol
            services:
            {{Service("onfailure", "on-failure:2", 3)}}
            {{Service("never", "no", 3)}}
            {{Service("always", "always", 0)}}
            volumes:
              state: {}
            """);
        using DaemonEngine engine = DaemonEngine.Open(box);

        ExecResult go = await engine.Engine.ExecAsync("pol", "never", ["touch", "/state/go"], ExecTimeout);
        Assert.True(go.Succeeded, $"touch /state/go: {go.Stdout}{go.Stderr}");

        // always keeps going: its third restart comes after 1 + 2 + 4 s of backoff. By then on-failure:2 has given up.
        await Poll.UntilAsync(async () => Restarts(await DaemonProcess.EventsAsync(client, "pol"), "always").Length >= 3, Deadline,
            () => $"always was not restarted 3 times. Events:\n{Describe(DaemonProcess.EventsAsync(client, "pol").Result)}\nDaemon:\n{daemon.Process.Output}");
        await Poll.UntilAsync(async () => (await DaemonProcess.EventsAsync(client, "pol")).Any(e => IsNotRestarted(e, "onfailure")), TimeSpan.FromSeconds(10),
            () => $"on-failure:2 did not give up. Events:\n{Describe(DaemonProcess.EventsAsync(client, "pol").Result)}");
        EventResponse[] events = await DaemonProcess.EventsAsync(client, "pol");

        EventResponse[] onFailure = Restarts(events, "onfailure");
        Assert.Equal(2, onFailure.Length);
        Assert.True(onFailure[1].Time - onFailure[0].Time >= TimeSpan.FromSeconds(1.9), $"no backoff between the on-failure restarts:\n{Describe(events)}");
        Assert.Contains("gave up after 2 restarts in a row (on-failure:2)", Assert.Single(events, e => IsNotRestarted(e, "onfailure")).Reason);
        Assert.Empty(Restarts(events, "never"));
        Assert.Contains("restart policy is \"no\"", Assert.Single(events, e => IsNotRestarted(e, "never")).Reason);
        EventResponse[] always = Restarts(events, "always");
        Assert.True(always[2].Time - always[1].Time >= TimeSpan.FromSeconds(3.9), $"always did not back off (1, 2, 4 s):\n{Describe(events)}");
        Assert.DoesNotContain(events, e => IsNotRestarted(e, "always"));

        // What really ran: 1 + 2 runs of on-failure:2, 1 of no, 1 + at least 3 of always.
        Assert.Equal(3, Runs(box, "onfailure"));
        Assert.Equal(1, Runs(box, "never"));
        Assert.True(Runs(box, "always") >= 4, $"always ran {Runs(box, "always")} times");
        StackSummary stack = Assert.Single(await client.GetAsync<StackSummary[]>("api/daemon/stacks"));
        Assert.Equal(("exited", 3), stack.Services.Where(s => s.Name == "onfailure").Select(s => (s.State, s.ExitCode)).Single());
        Assert.Equal(("exited", 3), stack.Services.Where(s => s.Name == "never").Select(s => (s.State, s.ExitCode)).Single());
    }

    private static async Task<DaemonProcess> StartDaemonAsync(TestBox box)
    {
        DaemonEngine.TakeDownAtTeardown(box);
        return await DaemonProcess.StartAsync(box, extraArguments: ["--reconcile-interval", "1"], deployTimeoutSeconds: 60);
    }

    private static async Task<ServiceSummary> ServiceAsync(DaemonClient client, string stack, string service) =>
        (await client.GetAsync<StackSummary[]>("api/daemon/stacks")).Single(s => s.Name == stack).Services.Single(s => s.Name == service);

    /// <summary>The service's newest health checks (the web API keeps the last 20 per service).</summary>
    private static async Task<HealthSample[]> HistoryAsync(DaemonClient client, string stack, string service) =>
        [.. (await client.GetAsync<HealthView[]>("api/health-checks")).Single(h => h.Stack == stack && h.Service == service).History];

    private static bool IsAutohealRestart(EventResponse e, string service) =>
        e.Kind == EventKind.Autoheal && e.Service == service && e.Message == "restarting the unhealthy container";

    private static bool IsRecovered(EventResponse e, string service) => e.Kind == EventKind.Autoheal && e.Service == service && e.Message == "recovered";

    private static bool IsWaiting(EventResponse e, string service) =>
        e.Kind == EventKind.Autoheal && e.Service == service && e.Message == "not restarting: waiting for a dependency";

    private static bool IsNotRestarted(EventResponse e, string service) => e.Kind == EventKind.Restart && e.Service == service && e.Message == "not restarted";

    private static EventResponse[] Restarts(EventResponse[] events, string service) =>
        [.. events.Where(e => e.Kind == EventKind.Restart && e.Service == service && e.Message == "restarted")];

    /// <summary>Lines the service wrote to STATE/volumes/*/_data/NAME.runs (one per run).</summary>
    private static int Runs(TestBox box, string service) =>
        Directory.GetDirectories(Path.Combine(DaemonProcess.StateDirOf(box), "volumes"))
            .Select(v => Path.Combine(v, "_data", service + ".runs")).Where(File.Exists).Sum(f => File.ReadAllLines(f).Length);

    private static string Describe(IEnumerable<EventResponse> events) => string.Join('\n',
        events.Select(e => $"{e.Id} {e.Time.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)} {e.Kind} {e.Service}: {e.Message} ({e.Reason})"));
}
