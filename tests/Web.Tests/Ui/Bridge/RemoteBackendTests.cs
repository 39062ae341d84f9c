using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Appliance.Web.Hosting;
using Appliance.Web.Security;
using Appliance.Web.Tests.Support;
using Appliance.Web.Ui.Backend;
using Appliance.Web.Ui.Bridge;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Appliance.Web.Tests.Ui.Bridge;

public sealed class RemoteBackendTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AddDaemonBridge_BeforeUiCore_TheUiUsesTheRemoteOnes()
    {
        await using BridgeDaemon daemon = await BridgeDaemon.StartAsync(new RecordingBackend());
        await using ServiceProvider ui = daemon.CreateUiServices();
        Assert.IsType<RemoteBackend>(ui.GetRequiredService<IApplianceBackend>());
        Assert.IsType<RemoteAccountStore>(ui.GetRequiredService<IAccountStore>());
        Assert.IsType<RemoteSetupGate>(ui.GetRequiredService<ISetupGate>());
        // The daemon's side: its own, in process.
        Assert.IsType<RecordingBackend>(daemon.Services.GetRequiredService<IApplianceBackend>());
        Assert.IsType<SetupGate>(daemon.Services.GetRequiredService<ISetupGate>());
    }

    [Fact]
    public async Task Queries_ReturnWhatTheDaemonsBackendReturns()
    {
        var recorded = new RecordingBackend();
        await using BridgeDaemon daemon = await BridgeDaemon.StartAsync(recorded);
        await using ServiceProvider ui = daemon.CreateUiServices();
        IApplianceBackend remote = ui.GetRequiredService<IApplianceBackend>();

        Assert.Equivalent(new[] { RecordingBackend.Stack, RecordingBackend.BareStack }, await remote.ListStacksAsync(), strict: true);
        Assert.Equivalent(RecordingBackend.Stack, await remote.GetStackAsync("gitlab"), strict: true);
        Assert.Null(await remote.GetStackAsync("no such/stack & more"));
        Assert.Equivalent(RecordingBackend.Events, await remote.RecentEventsAsync("gitlab", 500), strict: true);
        Assert.Equivalent(RecordingBackend.Events, await remote.RecentEventsAsync(null, 7), strict: true);
        Assert.Equivalent(new[] { RecordingBackend.Pending, RecordingBackend.AdminPending }, await remote.PendingChangesAsync(), strict: true);
        Assert.Equal([22, 8080, 10022], await remote.UsedHostPortsAsync());
        Assert.Equivalent(RecordingBackend.Firewall, await remote.GetFirewallAsync(), strict: true);
        var flow = new FlowQuery("192.168.50.20", "192.168.50.2", "tcp", 8080);
        Assert.Equivalent(RecordingBackend.Explanation, await remote.ExplainAsync(flow), strict: true);
        Assert.Equivalent(RecordingBackend.Schedules, await remote.ListSchedulesAsync(), strict: true);
        Assert.Equivalent(RecordingBackend.Health, await remote.ListHealthAsync(), strict: true);
        Assert.Equivalent(RecordingBackend.Settings, await remote.GetSettingsAsync(), strict: true);

        Assert.Equal(
            ["ListStacks", "GetStack(gitlab)", "GetStack(no such/stack & more)", "RecentEvents(gitlab,500)", "RecentEvents(null,7)", "PendingChanges",
             "UsedHostPorts", "GetFirewall", "Explain(192.168.50.20,192.168.50.2,tcp,8080)", "ListSchedules", "ListHealth", "GetSettings"],
            recorded.Calls);
    }

    [Fact]
    public async Task Operations_ReachTheDaemonsBackendWithTheirArguments_AndAnswerItsResult()
    {
        var recorded = new RecordingBackend();
        await using BridgeDaemon daemon = await BridgeDaemon.StartAsync(recorded);
        await using ServiceProvider ui = daemon.CreateUiServices();
        IApplianceBackend remote = ui.GetRequiredService<IApplianceBackend>();

        Assert.Equal(OperationResult.Ok("'gitlab' deployed (version 4)."),
            await remote.DeployAsync("gitlab", "services:\n  web:\n    image: nginx\n", new Dictionary<string, string> { ["DOMAIN"] = "git.example", ["EMPTY"] = "" }));
        Assert.Equal(OperationResult.Ok("'gitlab' remove done."), await remote.RunAsync("gitlab", "remove", removeVolumes: true));
        OperationResult failed = await remote.RunAsync("gitlab", "update", removeVolumes: false);
        Assert.Equal(OperationResult.Fail("the registry of 'gitlab' did not answer: connection refused"), failed);
        Assert.Equal(OperationResult.Ok("redis restart done."), await remote.RunServiceAsync("gitlab", "redis", "restart"));
        foreach (Exposure exposure in Enum.GetValues<Exposure>())
        {
            OperationResult changed = await remote.SetExposureAsync("gitlab", "gitlab", 8080, "tcp", exposure);
            Assert.True(changed.Succeeded);
            Assert.Equivalent(RecordingBackend.Pending, changed.Pending, strict: true);
        }
        Assert.Equal(OperationResult.Ok("Confirmed."), await remote.ConfirmChangeAsync("c1"));
        Assert.Equal(OperationResult.Fail("No pending change 'c9'."), await remote.ConfirmChangeAsync("c9"));
        Assert.Equal(OperationResult.Ok("Saved."), await remote.SaveSettingsAsync(RecordingBackend.Settings));

        Assert.Equal(
            ["Deploy(gitlab,services:\n  web:\n    image: nginx\n,DOMAIN=git.example;EMPTY=)", "Run(gitlab,remove,True)", "Run(gitlab,update,False)",
             "RunService(gitlab,redis,restart)", "SetExposure(gitlab,gitlab,8080,tcp,HostOnly)", "SetExposure(gitlab,gitlab,8080,tcp,Lan)",
             "SetExposure(gitlab,gitlab,8080,tcp,Internet)", "Confirm(c1)", "Confirm(c9)", "SaveSettings(192.168.50.0/24|192.168.50.7/32|nftables)"],
            recorded.Calls);
    }

    [Fact]
    public async Task IsConnected_IsTheDaemonBackends_LearnedAtStartOrOnFirstRead()
    {
        await using BridgeDaemon daemon = await BridgeDaemon.StartAsync(new RecordingBackend { IsConnected = true });

        // As the UI host starts it: the hosted service asks at start.
        await using ServiceProvider started = daemon.CreateUiServices();
        foreach (IHostedService service in started.GetServices<IHostedService>())
        {
            await service.StartAsync(CancellationToken.None);
        }
        Assert.True(started.GetRequiredService<IApplianceBackend>().IsConnected);

        // Never initialized: false at first, and the read asks in the background.
        await using ServiceProvider lazy = daemon.CreateUiServices();
        IApplianceBackend remote = lazy.GetRequiredService<IApplianceBackend>();
        Assert.False(remote.IsConnected);
        await WaitForAsync(() => remote.IsConnected);
    }

    [Fact]
    public async Task IsConnected_DaemonWithoutEngine_IsFalse()
    {
        await using BridgeDaemon daemon = await BridgeDaemon.StartAsync(); // its real DaemonBackend, no engine
        await using ServiceProvider ui = daemon.CreateUiServices();
        var remote = ui.GetRequiredService<RemoteBackend>();
        await remote.InitializeAsync();
        Assert.False(remote.IsConnected);
        Assert.Empty(await remote.ListStacksAsync());
        OperationResult deploy = await remote.DeployAsync("web", "services: {}", new Dictionary<string, string>());
        Assert.False(deploy.Succeeded);
        Assert.Contains("not connected", deploy.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadLogs_ReturnsEveryLine_ThenEnds()
    {
        var recorded = new RecordingBackend();
        await using BridgeDaemon daemon = await BridgeDaemon.StartAsync(recorded);
        await using ServiceProvider ui = daemon.CreateUiServices();
        IApplianceBackend remote = ui.GetRequiredService<IApplianceBackend>();

        using var timeout = new CancellationTokenSource(Patience);
        Assert.Equivalent(RecordingBackend.Logs, await remote.ReadLogsAsync("gitlab", "gitlab", 200, timeout.Token).ToListAsync(timeout.Token), strict: true);
        Assert.Equivalent(RecordingBackend.Logs, await remote.ReadLogsAsync("gitlab", null, null, timeout.Token).ToListAsync(timeout.Token), strict: true);
        Assert.Equal(["ReadLogs(gitlab,gitlab,200)", "ReadLogs(gitlab,null,null)"], recorded.Calls);
    }

    [Fact]
    public async Task Watch_StreamsEachEventAsItComes_AndCancellingEndsTheDaemonsWatch()
    {
        var recorded = new RecordingBackend();
        await using BridgeDaemon daemon = await BridgeDaemon.StartAsync(recorded);
        await using ServiceProvider ui = daemon.CreateUiServices();
        IApplianceBackend remote = ui.GetRequiredService<IApplianceBackend>();

        using var page = new CancellationTokenSource(Patience);
        var seen = new List<ApplianceEvent>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (ApplianceEvent e in remote.WatchAsync(page.Token))
            {
                seen.Add(e);
                if (seen.Count == RecordingBackend.Events.Count)
                {
                    // Every event arrived while the daemon's watch is still open (flushed one by one, not at the end).
                    Assert.False(recorded.WatchCancelled.Task.IsCompleted);
                    await page.CancelAsync();
                }
            }
        });
        Assert.Equivalent(RecordingBackend.Events, seen, strict: true);
        await recorded.WatchCancelled.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task FollowLogs_StreamsTheTail_AndCancellingEndsTheDaemonsFollow()
    {
        var recorded = new RecordingBackend();
        await using BridgeDaemon daemon = await BridgeDaemon.StartAsync(recorded);
        await using ServiceProvider ui = daemon.CreateUiServices();
        IApplianceBackend remote = ui.GetRequiredService<IApplianceBackend>();

        using var page = new CancellationTokenSource(Patience);
        var seen = new List<LogLine>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            // As StackDetail does it: the token through WithCancellation works as well as the argument.
            await foreach (LogLine line in remote.FollowLogsAsync("gitlab", "gitlab", 200).WithCancellation(page.Token))
            {
                seen.Add(line);
                if (seen.Count == RecordingBackend.Logs.Count)
                {
                    await page.CancelAsync();
                }
            }
        });
        Assert.Equivalent(RecordingBackend.Logs, seen, strict: true);
        await recorded.FollowCancelled.Task.WaitAsync(Patience);
        Assert.Equal(["FollowLogs(gitlab,gitlab,200)"], recorded.Calls);
    }

    [Fact]
    public async Task BackendFailureInTheDaemon_IsThrownWithItsMessage()
    {
        var recorded = new RecordingBackend { FirewallFailure = new InvalidOperationException("libnftables: Operation not permitted (EPERM)") };
        await using BridgeDaemon daemon = await BridgeDaemon.StartAsync(recorded);
        await using ServiceProvider ui = daemon.CreateUiServices();

        var e = await Assert.ThrowsAsync<DaemonBridgeRequestException>(() => ui.GetRequiredService<IApplianceBackend>().GetFirewallAsync());
        Assert.Equal(500, e.StatusCode);
        Assert.Contains("libnftables: Operation not permitted (EPERM)", e.Message, StringComparison.Ordinal);
        Assert.Contains("/api/daemon/ui/firewall", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallerNotOnTheSocket_GetsNotFound_AndReachesNothing()
    {
        var recorded = new RecordingBackend();
        await using BridgeDaemon daemon = await BridgeDaemon.StartAsync(recorded);
        using var tcp = new HttpClient { BaseAddress = daemon.TcpAddress };

        using HttpResponseMessage stacks = await tcp.GetAsync("/api/daemon/ui/stacks");
        Assert.Equal(HttpStatusCode.NotFound, stacks.StatusCode);
        using HttpResponseMessage setup = await tcp.GetAsync("/api/daemon/ui/setup");
        Assert.Equal(HttpStatusCode.NotFound, setup.StatusCode);
        using HttpResponseMessage accounts = await tcp.GetAsync("/api/daemon/ui/accounts");
        Assert.Equal(HttpStatusCode.NotFound, accounts.StatusCode);
        using HttpResponseMessage consume = await tcp.PostAsync("/api/daemon/ui/setup/consume",
            new StringContent("""{"token": "x"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, consume.StatusCode);
        Assert.Empty(recorded.Calls);

        // The same request over the socket is answered (the 404 is the caller's, not a missing route).
        using HttpClient socket = daemon.CreateSocketClient();
        Assert.Equal(HttpStatusCode.OK, (await socket.GetAsync("/api/daemon/ui/stacks")).StatusCode);
    }

    [Fact]
    public async Task BadInput_GetsA4xxThatSaysWhatIsWrong()
    {
        var recorded = new RecordingBackend();
        await using BridgeDaemon daemon = await BridgeDaemon.StartAsync(recorded);
        using HttpClient socket = daemon.CreateSocketClient();

        await AssertBadAsync(HttpStatusCode.BadRequest, "'max' is missing", await socket.GetAsync("/api/daemon/ui/events"));
        await AssertBadAsync(HttpStatusCode.BadRequest, "'max' is 'lots'", await socket.GetAsync("/api/daemon/ui/events?max=lots"));
        await AssertBadAsync(HttpStatusCode.BadRequest, "'tail' is '-1'", await socket.GetAsync("/api/daemon/ui/logs?stack=gitlab&tail=-1"));
        await AssertBadAsync(HttpStatusCode.BadRequest, "'stack' is missing", await socket.GetAsync("/api/daemon/ui/logs/follow?tail=5"));
        await AssertBadAsync(HttpStatusCode.BadRequest, "'tail' is missing", await socket.GetAsync("/api/daemon/ui/logs/follow?stack=gitlab"));
        await AssertBadAsync(HttpStatusCode.BadRequest, "'name' is missing", await socket.GetAsync("/api/daemon/ui/stack?name="));
        await AssertBadAsync(HttpStatusCode.BadRequest, "exposure: '7' is not one of HostOnly, Lan, Internet",
            await socket.PostAsync("/api/daemon/ui/exposure", Json("""{"stack": "gitlab", "service": "gitlab", "hostPort": 8080, "protocol": "tcp", "exposure": 7}""")));
        await AssertBadAsync(HttpStatusCode.BadRequest, "$.exposure has a value of the wrong type",
            await socket.PostAsync("/api/daemon/ui/exposure", Json("""{"stack": "gitlab", "service": "gitlab", "hostPort": 8080, "protocol": "tcp", "exposure": "Everyone"}""")));
        await AssertBadAsync(HttpStatusCode.BadRequest, "is not a field this endpoint knows",
            await socket.PostAsync("/api/daemon/ui/stacks/run", Json("""{"stack": "gitlab", "operation": "stop", "removeVolumes": false, "force": true}""")));
        await AssertBadAsync(HttpStatusCode.BadRequest, "not well-formed JSON",
            await socket.PutAsync("/api/daemon/ui/settings", Json("""{"lanSubnets": [""")));
        await AssertBadAsync(HttpStatusCode.UnsupportedMediaType, "must be JSON",
            await socket.PostAsync("/api/daemon/ui/setup/consume", new StringContent("token=x", Encoding.UTF8, "application/x-www-form-urlencoded")));
        await AssertBadAsync(HttpStatusCode.BadRequest, "the body is empty",
            await socket.PostAsync("/api/daemon/ui/accounts", Json("")));
        Assert.Empty(recorded.Calls);

        // Exposure is written by name on the wire, and read back by name.
        using HttpResponseMessage stack = await socket.GetAsync("/api/daemon/ui/stack?name=gitlab");
        JsonElement ports = (await stack.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ports");
        Assert.Equal(["Lan", "Internet", "HostOnly"], ports.EnumerateArray().Select(p => p.GetProperty("exposure").GetString()));
        using HttpResponseMessage byName = await socket.PostAsync("/api/daemon/ui/exposure",
            Json("""{"stack": "gitlab", "service": "gitlab", "hostPort": 8080, "protocol": "tcp", "exposure": "HostOnly"}"""));
        Assert.Equal(HttpStatusCode.OK, byName.StatusCode);
        Assert.Equal("SetExposure(gitlab,gitlab,8080,tcp,HostOnly)", recorded.Calls.Last());
    }

    [Fact]
    public async Task StoppedDaemon_SaysItIsNotReachableAndWhatToCheck()
    {
        var recorded = new RecordingBackend();
        await using BridgeDaemon daemon = await BridgeDaemon.StartAsync(recorded);
        await using ServiceProvider ui = daemon.CreateUiServices();
        IApplianceBackend remote = ui.GetRequiredService<IApplianceBackend>();
        using var page = new CancellationTokenSource(Patience);
        await using IAsyncEnumerator<ApplianceEvent> watch = remote.WatchAsync(page.Token).GetAsyncEnumerator(page.Token);
        Assert.True(await watch.MoveNextAsync());

        await daemon.StopAsync();

        // A live stream that was open: the page's LivePage catches IOException and offers a reload.
        IOException broken = await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            while (await watch.MoveNextAsync())
            {
            }
        });
        Assert.IsType<DaemonUnreachableException>(broken);
        string expected = $"the Appliance daemon is not reachable at '{daemon.SocketPath}'";
        var query = await Assert.ThrowsAsync<DaemonUnreachableException>(() => remote.ListStacksAsync());
        Assert.StartsWith(expected, query.Message, StringComparison.Ordinal);
        Assert.EndsWith("check it with `systemctl status appliance`", query.Message, StringComparison.Ordinal);
        Assert.Equal(daemon.SocketPath, query.SocketPath);

        OperationResult deploy = await remote.DeployAsync("gitlab", "services: {}", new Dictionary<string, string>());
        Assert.False(deploy.Succeeded);
        Assert.StartsWith(expected, deploy.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<DaemonUnreachableException>(() => ui.GetRequiredService<IAccountStore>().ListAccountsAsync());
        await Assert.ThrowsAsync<DaemonUnreachableException>(() => ui.GetRequiredService<ISetupGate>().GetStatusAsync());
        await Assert.ThrowsAsync<DaemonUnreachableException>(async () => await remote.FollowLogsAsync("gitlab", null, 10).ToListAsync());
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task AssertBadAsync(HttpStatusCode status, string says, HttpResponseMessage response)
    {
        using (response)
        {
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(status == response.StatusCode, $"{response.RequestMessage?.RequestUri}: expected {status}, got {(int)response.StatusCode} {body}");
            Assert.Contains(says, JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold in time");
            await Task.Delay(20);
        }
    }
}
