using System.Net.Http.Json;
using Appliance.TestSupport;
using Appliance.TestSupport.Registry;
using Appliance.Web.Cli;
using Appliance.Web.Hosting;

namespace Appliance.Integration.Tests.Daemon;

/// <summary>The daemon with the real engine (runc, conmon, netlink in the box's nas namespace) and images from the local registry.</summary>
[Collection(RegistryFixture.Collection)]
public sealed class DaemonEngineTests(RegistryFixture fixture)
{
    private string Stack(string marker) => $"""
        name: web
        services:
          web:
            image: {fixture.Registry.Reference(TestImages.Busybox)}
            command: ["sh", "-c", "echo {marker} > /tmp/ok; exec sleep 3600"]
            restart: always
            healthcheck:
              test: ["CMD", "cat", "/tmp/ok"]
              interval: 1s
              timeout: 2s
              retries: 3
        """;

    [Fact]
    public async Task StackUpAndDown_FromTheCommandLine_GoThroughTheRunningDaemon()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonEngine.TakeDownAtTeardown(box);
        DaemonProcess daemon = await DaemonProcess.StartAsync(box, deployTimeoutSeconds: 60);
        string file = Path.Combine(box.TempDir, "web.yaml");
        await File.WriteAllTextAsync(file, Stack("cli"));

        CommandResult up = await Command.RunAsync(["dotnet", DaemonProcess.AppliancePath, "--daemon-socket", daemon.SocketPath, "stack", "up", file],
            TimeSpan.FromMinutes(3));
        Assert.True(up.Succeeded, $"{up.Stdout}{up.Stderr}\nDaemon:\n{daemon.Process.Output}");
        Assert.Contains("deploying 'web' through the daemon", up.Stdout);
        // The daemon's own stack (a deployment in its state), so its reconcile pass never takes it for an orphan.
        using DaemonClient client = daemon.Client();
        StackSummary web = Assert.Single(await client.GetAsync<StackSummary[]>("api/daemon/stacks"));
        Assert.Equal(("web", 1, "running"), (web.Name, web.Version, Assert.Single(web.Services).State));

        CommandResult down = await Command.RunAsync(["dotnet", DaemonProcess.AppliancePath, "--daemon-socket", daemon.SocketPath, "stack", "down", "web"],
            TimeSpan.FromMinutes(2));
        Assert.True(down.Succeeded, $"{down.Stdout}{down.Stderr}");
        Assert.Empty(await client.GetAsync<StackSummary[]>("api/daemon/stacks"));
    }

    [Fact]
    public async Task UpdateImages_PullsTheNewerImageOfATag_AndRecreatesTheStackOnIt()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonEngine.TakeDownAtTeardown(box);
        DaemonProcess daemon = await DaemonProcess.StartAsync(box, deployTimeoutSeconds: 60);
        // A repository of this test's own whose tag first names busybox, later redis (busybox plus redis-server).
        string repository = $"{box.Prefix}-app";
        string layout = await TestImages.BuildAsync();
        await fixture.Registry.PushAsync(layout, TestImages.Busybox, repository);
        await daemon.DeployAsync("upd", $"""
            name: upd
            services:
              app:
                image: {fixture.Registry.Reference(repository)}
                restart: always
                command: ["sh", "-c", "echo first line; echo second line; echo a warning >&2; trap 'exit 0' TERM; sleep 3600 & wait"]
            """);
        using DaemonEngine engine = DaemonEngine.Open(box);
        using HttpClient http = daemon.RawClient();
        http.Timeout = TimeSpan.FromMinutes(3);
        async Task<(bool Succeeded, string Message)> UpdateAsync(string operation = "update")
        {
            using HttpResponseMessage response = await http.PostAsync($"api/stacks/upd/{operation}", null);
            using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return (response.IsSuccessStatusCode, body.RootElement.TryGetProperty("message", out var m) ? m.GetString()! : body.RootElement.GetProperty("detail").GetString()!);
        }
        async Task<bool> RunsRedisImageAsync() =>
            (await engine.Runtime.ExecAsync((await engine.InspectAsync("upd", "app")).Id, ["test", "-e", "/usr/bin/redis-server"], TimeSpan.FromSeconds(10))).Succeeded;

        // The logs over the API: the tail as JSON, everything kept as a text download, a clear 404 for a service that is not there.
        await Poll.UntilAsync(async () => (await http.GetStringAsync("api/stacks/upd/logs")).Contains("a warning", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), () => "the container's output never reached its log");
        using (var tail = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("api/stacks/upd/logs?service=app&tail=2")))
        {
            Assert.Equal(["second line/stdout", "a warning/stderr"],
                tail.RootElement.EnumerateArray().Select(l => $"{l.GetProperty("text").GetString()}/{l.GetProperty("stream").GetString()}"));
        }
        using (HttpResponseMessage download = await http.GetAsync("api/stacks/upd/logs/download?service=app"))
        {
            Assert.Equal("attachment; filename=upd-app-logs.txt; filename*=UTF-8''upd-app-logs.txt", download.Content.Headers.ContentDisposition?.ToString());
            string[] text = (await download.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["stdout first line", "stdout second line", "stderr a warning"], text.Select(l => l[(l.IndexOf(' ') + 1)..]));
        }
        using (HttpResponseMessage missing = await http.GetAsync("api/stacks/upd/logs?service=nope"))
        {
            Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Contains("nope", await missing.Content.ReadAsStringAsync());
        }

        (bool succeeded, string message) = await UpdateAsync();
        Assert.True(succeeded, message);
        Assert.Equal("Every image of 'upd' is up to date; nothing changed.", message);
        Assert.False(await RunsRedisImageAsync());

        // The stack's newerImages as one string: "null" before any check, "" when the last check found nothing newer.
        async Task<string> NewerImagesAsync()
        {
            using var view = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("api/stacks/upd"));
            return view.RootElement.GetProperty("newerImages") is { ValueKind: System.Text.Json.JsonValueKind.Array } newer
                ? string.Join(", ", newer.EnumerateArray().Select(e => e.GetString())) : "null";
        }
        Assert.Equal("", await NewerImagesAsync());

        await fixture.Registry.PushAsync(layout, TestImages.Redis, repository);
        // Check for updates finds it without pulling; the stack's view offers it until it is applied.
        (succeeded, message) = await UpdateAsync("check-updates");
        Assert.True(succeeded, message);
        Assert.Equal($"Newer images in the registry: {fixture.Registry.Reference(repository)}. Update images pulls them and redeploys 'upd' on them.", message);
        Assert.Equal(fixture.Registry.Reference(repository), await NewerImagesAsync());
        CommandResult cli = await Command.RunAsync(["dotnet", DaemonProcess.AppliancePath, "--daemon-socket", daemon.SocketPath, "stack", "update", "upd", "--check"],
            TimeSpan.FromMinutes(1));
        Assert.True(cli.Succeeded, $"{cli.Stdout}{cli.Stderr}");
        Assert.StartsWith($"newer images in the registry: {fixture.Registry.Reference(repository)} (sha256:", cli.Stdout);
        Assert.False(await RunsRedisImageAsync());
        (succeeded, message) = await UpdateAsync();
        Assert.True(succeeded, $"{message}\nDaemon:\n{daemon.Process.Output}");
        Assert.StartsWith($"Updated {fixture.Registry.Reference(repository)} (sha256:", message);
        Assert.True(await RunsRedisImageAsync(), "the container does not run the newer image");
        Assert.Equal("", await NewerImagesAsync());
        using DaemonClient client = daemon.Client();
        StackSummary upd = Assert.Single(await client.GetAsync<StackSummary[]>("api/daemon/stacks"));
        Assert.Equal((2, "running"), (upd.Version, Assert.Single(upd.Services).State));

        // A check's finding holds for the deployment it was made for: redeployed on another image, the stack offers nothing.
        await fixture.Registry.PushAsync(layout, TestImages.GitlabProbe, repository);
        (succeeded, message) = await UpdateAsync("check-updates");
        Assert.True(succeeded, message);
        Assert.Equal(fixture.Registry.Reference(repository), await NewerImagesAsync());
        await daemon.DeployAsync("upd", $"""
            name: upd
            services:
              app:
                image: {fixture.Registry.Reference(TestImages.Busybox)}
                command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
            """);
        Assert.Equal("", await NewerImagesAsync());
    }

    [Fact]
    public async Task Deploy_Update_Restart_Remove_OverTheApi_WithRealContainers()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonEngine.TakeDownAtTeardown(box);
        DaemonProcess daemon = await DaemonProcess.StartAsync(box);
        using HttpClient http = daemon.RawClient();
        http.Timeout = TimeSpan.FromMinutes(3);

        // Deploy: the plan runs up, verify (health check passes) and commit.
        using (HttpResponseMessage deployed = await http.PutAsJsonAsync("api/daemon/stacks/web", new DeployRequest(Stack("v1"))))
        {
            OperationResponse result = (await deployed.Content.ReadFromJsonAsync<OperationResponse>(JsonBody.Options))!;
            CommandResult reachable = await Command.RunAsync("curl", "-s", "-m", "2", "-o", "/dev/null", "-w", "%{http_code}", $"http://{fixture.Registry.Host}/v2/");
            Assert.True(result.Succeeded, $"{result.Message}\nregistry answers the test: {reachable.Stdout}\ndaemon output:\n{daemon.Process.Output}");
            Assert.Equal(1, result.Version);
        }
        using DaemonClient client = daemon.Client();
        StackSummary web = Assert.Single(await client.GetAsync<StackSummary[]>("api/daemon/stacks"));
        Assert.Equal("running", Assert.Single(web.Services).State);

        // A stack file that fails validation: 422 with the error at its line, and version 1 stays.
        using (HttpResponseMessage invalid = await http.PutAsJsonAsync("api/daemon/stacks/web", new DeployRequest("services:\n  web:\n    image: x\n    restart: sometimes\n")))
        {
            Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
            Assert.Contains("restart", await invalid.Content.ReadAsStringAsync());
        }

        // An update whose health check never passes rolls back to version 1.
        string broken = Stack("v2").Replace("cat\", \"/tmp/ok", "cat\", \"/tmp/missing", StringComparison.Ordinal);
        var failing = new HttpRequestMessage(HttpMethod.Put, "api/daemon/stacks/web") { Content = JsonContent.Create(new DeployRequest(broken)) };
        using (HttpResponseMessage rolledBack = await http.SendAsync(failing))
        {
            string body = await rolledBack.Content.ReadAsStringAsync();
            // 422: rolled back in the request. 500: a rollback step failed and the reconcile loop finishes it (below).
            Assert.True(rolledBack.StatusCode is System.Net.HttpStatusCode.UnprocessableEntity or System.Net.HttpStatusCode.InternalServerError,
                $"{(int)rolledBack.StatusCode}: {body}\n{daemon.Process.Output}");
            if (rolledBack.StatusCode == System.Net.HttpStatusCode.UnprocessableEntity)
            {
                Assert.Contains("rolled back to version 1", System.Text.Json.JsonSerializer.Deserialize<OperationResponse>(body, JsonBody.Options)!.Message);
            }
        }
        await Poll.UntilAsync(async () => (await client.GetAsync<DeploymentSummary[]>("api/daemon/stacks/web/deployments"))[0].Status == "rolled-back",
            TimeSpan.FromSeconds(90), () => "the failed update was not rolled back");
        DeploymentSummary[] history = await client.GetAsync<DeploymentSummary[]>("api/daemon/stacks/web/deployments");
        Assert.Equal(["rolled-back", "active"], history.Select(d => d.Status));

        // Restart the daemon: the running stack is found and left untouched.
        await daemon.StopAsync(15, TimeSpan.FromSeconds(60));
        DaemonProcess again = await DaemonProcess.StartAsync(box);
        using DaemonClient after = again.Client();
        await Poll.UntilAsync(async () => (await after.GetAsync<EventResponse[]>("api/daemon/events?max=500")).Count(e => e.Message == "daemon started") == 2,
            TimeSpan.FromSeconds(30), () => "the second daemon did not record its start");
        web = Assert.Single(await after.GetAsync<StackSummary[]>("api/daemon/stacks"));
        Assert.Equal("running", Assert.Single(web.Services).State);
        Assert.Equal(1, web.Version);
        EventResponse[] events = await after.GetAsync<EventResponse[]>("api/daemon/events?max=500");
        Assert.DoesNotContain(events, e => e.Kind == "reconcile" && e.Message.StartsWith("recreated", StringComparison.Ordinal));

        // Remove (volumes kept unless asked).
        using (HttpResponseMessage removed = await again.RawClient().DeleteAsync("api/daemon/stacks/web"))
        {
            removed.EnsureSuccessStatusCode();
        }
        Assert.Empty(await after.GetAsync<StackSummary[]>("api/daemon/stacks"));
    }
}
