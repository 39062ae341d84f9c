using System.Globalization;
using System.Text.Json;
using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Runtime;
using Appliance.Web.Security;
using Appliance.Web.Ui.Backend;

namespace Appliance.Web.Hosting;

/// <summary>
/// The daemon's services as the separate UI process (<c>appliance ui</c>, Ui/Bridge) reaches them: one endpoint per
/// method of <see cref="IApplianceBackend"/>, <see cref="IAccountStore"/> and <see cref="ISetupGate"/> under
/// <see cref="Prefix"/>, each delegating to the daemon's own instance. Over the root-only unix socket only (any other
/// caller gets 404: account hashes and the setup token stay on the box). Answers are the interfaces' own types in
/// <see cref="DaemonJson"/>; the three streams are newline-delimited JSON, one item a line, flushed as it comes, until
/// the caller hangs up. Bad input is a 4xx that says what is wrong; a failure of the daemon's service a 500 with its message.
/// </summary>
public static class UiBridgeApi
{
    public const string Prefix = "/api/daemon/ui";

    /// <summary>The content type of the streams: one JSON value a line.</summary>
    public const string NdjsonContentType = "application/x-ndjson";

    private static readonly ReadOnlyMemory<byte> NewLine = "\n"u8.ToArray();


    private const string StackExample = """{"stack": "gitlab", "operation": "restart", "removeVolumes": false}""";

    public static WebApplication MapUiBridge(this WebApplication app)
    {
        RouteGroupBuilder ui = app.MapGroup(Prefix).AddEndpointFilter(UnixSocketOnly).AddEndpointFilter(AnswerFailures);
        MapBackend(ui);
        MapAccounts(ui);
        MapSetup(ui);
        return app;
    }

    /// <summary>Why a flow passes or is dropped: the bridge's, and the CLI's `fw explain` (<c>POST /api/daemon/firewall/explain</c>).</summary>
    internal static async Task<IResult> ExplainAsync(HttpRequest request, IApplianceBackend backend, CancellationToken ct)
    {
        (FlowQuery? flow, IResult? error) = await JsonBody.ReadAsync<FlowQuery>(request,
            """{"source": "192.168.1.20", "destination": "192.168.1.2", "protocol": "tcp", "port": 8080}""", 16 * 1024, ct);
        return error ?? JsonBody.Result(await backend.ExplainAsync(flow!, ct));
    }

    private static void MapBackend(RouteGroupBuilder ui)
    {
        ui.MapGet("/connected", (IApplianceBackend backend) => JsonBody.Result(new BridgeFlag(backend.IsConnected)));

        ui.MapGet("/stacks", async (IApplianceBackend backend, CancellationToken ct) => JsonBody.Result(await backend.ListStacksAsync(ct)));

        ui.MapGet("/stack", async (HttpRequest request, IApplianceBackend backend, CancellationToken ct) =>
            Required(request, "name", "gitlab", out string name) is { } error ? error : OrNull(await backend.GetStackAsync(name, ct)));

        ui.MapGet("/watch", (HttpContext context, IApplianceBackend backend) => StreamAsync(context, backend.WatchAsync));

        ui.MapGet("/events", async (HttpRequest request, IApplianceBackend backend, CancellationToken ct) =>
        {
            if (Number(request, "max", 1, 100_000, out int? max) is { } error)
            {
                return error;
            }
            return max is null ? Missing("max", "500") : JsonBody.Result(await backend.RecentEventsAsync(Optional(request, "stack"), max.Value, ct));
        });

        ui.MapGet("/logs", (HttpContext context, IApplianceBackend backend) =>
        {
            IResult? badTail = Number(context.Request, "tail", 0, int.MaxValue, out int? tail);
            if ((Required(context.Request, "stack", "gitlab", out string stack) ?? badTail) is { } error)
            {
                return error.ExecuteAsync(context);
            }
            return StreamAsync(context, ct => backend.ReadLogsAsync(stack, Optional(context.Request, "service"), tail, ct), live: false);
        });

        ui.MapGet("/logs/follow", (HttpContext context, IApplianceBackend backend) =>
        {
            IResult? badTail = Number(context.Request, "tail", 0, int.MaxValue, out int? tail);
            if ((Required(context.Request, "stack", "gitlab", out string stack) ?? badTail) is { } error)
            {
                return error.ExecuteAsync(context);
            }
            return tail is null
                ? Missing("tail", "200").ExecuteAsync(context)
                : StreamAsync(context, ct => backend.FollowLogsAsync(stack, Optional(context.Request, "service"), tail.Value, ct));
        });

        ui.MapPut("/stacks", async (HttpRequest request, IApplianceBackend backend, CancellationToken ct) =>
        {
            (BridgeDeployRequest? deploy, IResult? error) = await JsonBody.ReadAsync<BridgeDeployRequest>(request,
                """{"name": "gitlab", "stackYaml": "services: ...", "parameters": {"DOMAIN": "git.example"}}""", JsonBody.DefaultLimit, ct);
            return error ?? JsonBody.Result(await backend.DeployAsync(deploy!.Name, deploy.StackYaml, deploy.Parameters, ct));
        });

        ui.MapPost("/stacks/run", async (HttpRequest request, IApplianceBackend backend, CancellationToken ct) =>
        {
            (BridgeStackOperation? run, IResult? error) = await JsonBody.ReadAsync<BridgeStackOperation>(request, StackExample, 16 * 1024, ct);
            return error ?? JsonBody.Result(await backend.RunAsync(run!.Stack, run.Operation, run.RemoveVolumes, ct));
        });

        ui.MapPost("/services/run", async (HttpRequest request, IApplianceBackend backend, CancellationToken ct) =>
        {
            (BridgeServiceOperation? run, IResult? error) = await JsonBody.ReadAsync<BridgeServiceOperation>(request,
                """{"stack": "gitlab", "service": "redis", "operation": "restart"}""", 16 * 1024, ct);
            return error ?? JsonBody.Result(await backend.RunServiceAsync(run!.Stack, run.Service, run.Operation, ct));
        });

        ui.MapPost("/exposure", async (HttpRequest request, IApplianceBackend backend, CancellationToken ct) =>
        {
            (BridgeExposureChange? change, IResult? error) = await JsonBody.ReadAsync<BridgeExposureChange>(request,
                """{"stack": "gitlab", "service": "gitlab", "hostPort": 8080, "protocol": "tcp", "exposure": "Lan"}""", 16 * 1024, ct);
            if (error is not null)
            {
                return error;
            }
            // A number the enum does not name reads as that number (the converter allows them); the backend must never see one.
            return !Enum.IsDefined(change!.Exposure)
                ? JsonBody.BadRequest($"exposure: '{change.Exposure}' is not one of {string.Join(", ", Enum.GetNames<Exposure>())}")
                : JsonBody.Result(await backend.SetExposureAsync(change.Stack, change.Service, change.HostPort, change.Protocol, change.Exposure, ct));
        });

        ui.MapGet("/firewall/pending", async (IApplianceBackend backend, CancellationToken ct) => JsonBody.Result(await backend.PendingChangesAsync(ct)));

        ui.MapPost("/firewall/confirm", async (HttpRequest request, IApplianceBackend backend, CancellationToken ct) =>
        {
            (BridgeConfirmRequest? confirm, IResult? error) = await JsonBody.ReadAsync<BridgeConfirmRequest>(request, """{"changeId": "c1"}""", 16 * 1024, ct);
            return error ?? JsonBody.Result(await backend.ConfirmChangeAsync(confirm!.ChangeId, ct));
        });

        ui.MapGet("/ports/used", async (IApplianceBackend backend, CancellationToken ct) => JsonBody.Result(await backend.UsedHostPortsAsync(ct)));

        ui.MapGet("/firewall", async (IApplianceBackend backend, CancellationToken ct) => JsonBody.Result(await backend.GetFirewallAsync(ct)));

        ui.MapPost("/firewall/explain", ExplainAsync);

        ui.MapGet("/schedules", async (IApplianceBackend backend, CancellationToken ct) => JsonBody.Result(await backend.ListSchedulesAsync(ct)));

        ui.MapGet("/health", async (IApplianceBackend backend, CancellationToken ct) => JsonBody.Result(await backend.ListHealthAsync(ct)));

        ui.MapGet("/settings", async (IApplianceBackend backend, CancellationToken ct) => JsonBody.Result(await backend.GetSettingsAsync(ct)));

        ui.MapPut("/settings", async (HttpRequest request, IApplianceBackend backend, CancellationToken ct) =>
        {
            (NetworkSettings? settings, IResult? error) = await JsonBody.ReadAsync<NetworkSettings>(request,
                """{"lanSubnets": ["192.168.1.0/24"], "adminSources": [], "firewallBackend": "nftables"}""", 64 * 1024, ct);
            return error ?? JsonBody.Result(await backend.SaveSettingsAsync(settings!, ct));
        });
    }

    private static void MapAccounts(RouteGroupBuilder ui)
    {
        ui.MapGet("/accounts", async (IAccountStore store, CancellationToken ct) => JsonBody.Result(await store.ListAccountsAsync(ct)));

        ui.MapGet("/accounts/find", async (HttpRequest request, IAccountStore store, CancellationToken ct) =>
            Required(request, "name", "admin", out string name) is { } error ? error : OrNull(await store.FindAccountAsync(name, ct)));

        ui.MapPost("/accounts", async (HttpRequest request, IAccountStore store, CancellationToken ct) =>
        {
            (AdminAccount? account, IResult? error) = await JsonBody.ReadAsync<AdminAccount>(request,
                """{"name": "admin", "passwordHash": "...", "createdAt": "2025-01-01T00:00:00Z"}""", 16 * 1024, ct);
            return error ?? JsonBody.Result(new BridgeFlag(await store.CreateAccountAsync(account!, ct)));
        });

        ui.MapDelete("/accounts", async (HttpRequest request, IAccountStore store, CancellationToken ct) =>
            Required(request, "name", "admin", out string name) is { } error ? error : JsonBody.Result(new BridgeFlag(await store.RemoveAccountAsync(name, ct))));

        ui.MapGet("/tokens", async (IAccountStore store, CancellationToken ct) => JsonBody.Result(await store.ListTokensAsync(ct)));

        ui.MapPost("/tokens", async (HttpRequest request, IAccountStore store, CancellationToken ct) =>
        {
            (ApiToken? token, IResult? error) = await JsonBody.ReadAsync<ApiToken>(request,
                """{"id": "t1", "name": "backup", "owner": "admin", "secretSha256": "...", "createdAt": "2025-01-01T00:00:00Z"}""", 16 * 1024, ct);
            if (error is not null)
            {
                return error;
            }
            await store.AddTokenAsync(token!, ct);
            return Results.NoContent();
        });

        ui.MapDelete("/tokens", async (HttpRequest request, IAccountStore store, CancellationToken ct) =>
            Required(request, "id", "t1", out string id) is { } error ? error : JsonBody.Result(new BridgeFlag(await store.RemoveTokenAsync(id, ct))));
    }

    private static void MapSetup(RouteGroupBuilder ui)
    {
        ui.MapGet("/setup", async (ISetupGate gate, CancellationToken ct) => JsonBody.Result(await gate.GetStatusAsync(ct)));

        ui.MapPost("/setup/consume", async (HttpRequest request, ISetupGate gate, CancellationToken ct) =>
        {
            (BridgeSetupToken? token, IResult? error) = await JsonBody.ReadAsync<BridgeSetupToken>(request, """{"token": "..."}""", 4 * 1024, ct);
            return error ?? JsonBody.Result(new BridgeFlag(await gate.TryConsumeAsync(token!.Token, ct)));
        });

        ui.MapPost("/setup/release", async (ISetupGate gate, CancellationToken ct) =>
        {
            await gate.ReleaseAsync(ct);
            return Results.NoContent();
        });
    }

    /// <summary>
    /// Writes <paramref name="items"/> as newline-delimited JSON, flushing each; ends with them, when the caller hangs up, or
    /// when the daemon stops (the end then tells the UI process so, instead of holding the daemon's shutdown).
    /// </summary>
    private static async Task StreamAsync<T>(HttpContext context, Func<CancellationToken, IAsyncEnumerable<T>> items, bool live = true)
    {
        IHostApplicationLifetime lifetime = context.RequestServices.GetRequiredService<IHostApplicationLifetime>();
        using var end = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        CancellationToken ct = end.Token;
        context.Response.ContentType = NdjsonContentType;
        context.Response.Headers.CacheControl = "no-cache";
        var info = JsonBody.TypeInfo<T>();
        IAsyncEnumerator<T> enumerator = items(ct).GetAsyncEnumerator(ct);
        try
        {
            // A live stream's headers at once: the caller knows it is open (a watch may be quiet for hours). A snapshot's after its
            // first item, so that a stack or service that is not there is a 404 the UI can show.
            if (live)
            {
                await context.Response.Body.FlushAsync(ct);
            }
            bool more;
            try
            {
                more = await enumerator.MoveNextAsync();
            }
            catch (Exception e) when (!context.Response.HasStarted && e is EngineException or RuntimeException)
            {
                await JsonBody.Result(new ErrorResponse(e.Message), StatusCodes.Status404NotFound).ExecuteAsync(context);
                return;
            }
            for (; more; more = await enumerator.MoveNextAsync())
            {
                byte[] line = JsonSerializer.SerializeToUtf8Bytes(enumerator.Current, info);
                await context.Response.Body.WriteAsync(line, ct);
                await context.Response.Body.WriteAsync(NewLine, ct);
                await context.Response.Body.FlushAsync(ct);
            }
            await context.Response.Body.FlushAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the UI process hung up (its page went away), or the daemon stops
        }
        catch (Exception e)
        {
            // The status (200) is sent: breaking the connection is how the caller learns the stream did not end by itself.
            DaemonLog.UiBridgeStreamFailed(Logger(context), context.Request.Path.ToString(), e);
            context.Abort();
        }
        finally
        {
            await enumerator.DisposeAsync();
        }
    }

    /// <summary>Only over the unix socket: to anyone else this API does not exist.</summary>
    private static async ValueTask<object?> UnixSocketOnly(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next) =>
        UnixSocketIdentity.IsUnixSocket(invocation.HttpContext) ? await next(invocation) : Results.NotFound();

    /// <summary>A failure of the daemon's service (before any of the answer is sent) is a 500 that says what failed.</summary>
    private static async ValueTask<object?> AnswerFailures(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        HttpContext context = invocation.HttpContext;
        try
        {
            return await next(invocation);
        }
        catch (Exception e) when (!context.Response.HasStarted && !(e is OperationCanceledException && context.RequestAborted.IsCancellationRequested))
        {
            DaemonLog.UiBridgeFailed(Logger(context), context.Request.Method, context.Request.Path.ToString(), e);
            return JsonBody.Result(new ErrorResponse($"the daemon failed to answer {context.Request.Method} {context.Request.Path}: {e.Message} " +
                "(see its log: journalctl -u appliance)"), StatusCodes.Status500InternalServerError);
        }
    }

    /// <summary><paramref name="value"/>, or JSON <c>null</c> when there is none (Results.Json would send an empty body).</summary>
    private static IResult OrNull<T>(T? value) where T : class =>
        value is null ? Results.Text("null", "application/json; charset=utf-8") : JsonBody.Result(value);

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Appliance.Daemon.UiBridge");

    private static string? Optional(HttpRequest request, string key) => request.Query[key] is { Count: > 0 } values ? values[0] : null;

    private static IResult? Required(HttpRequest request, string key, string example, out string value)
    {
        value = Optional(request, key) ?? "";
        return value.Length == 0 ? Missing(key, example) : null;
    }

    private static IResult Missing(string key, string example) =>
        JsonBody.BadRequest($"the query parameter '{key}' is missing or empty; e.g. ?{key}={example}");

    private static IResult? Number(HttpRequest request, string key, int min, int max, out int? value)
    {
        value = null;
        if (Optional(request, key) is not { } text)
        {
            return null;
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number < min || number > max)
        {
            return JsonBody.BadRequest($"the query parameter '{key}' is '{text}'; expected a whole number from {min} to {max}");
        }
        value = number;
        return null;
    }
}
