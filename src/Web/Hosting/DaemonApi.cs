using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Health;
using Appliance.Orchestrator.Images;
using Appliance.Orchestrator.Reconcile;
using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.State;

namespace Appliance.Web.Hosting;

/// <summary>
/// The daemon's own endpoints: <c>GET /api/health</c> (anonymous, for systemd and monitors) and <c>/api/daemon/*</c>
/// (status, events and their live stream, stacks as deployed, deploy/remove through persisted plans). Over TCP they
/// need the web UI's authentication; over the unix socket the caller is root.
/// </summary>
public static partial class DaemonApi
{
    public static readonly string Version =
        typeof(DaemonApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev";

    private const string NoEngine = "the container engine is not connected to this daemon, so stacks cannot be deployed or removed yet";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,31}$")]
    private static partial Regex StackName();

    /// <summary>Answered by the daemon itself, anonymously, over TCP too.</summary>
    public const string HealthPath = "/api/health";

    public static WebApplication MapDaemonApi(this WebApplication app)
    {
        DaemonOptions options = app.Services.GetRequiredService<DaemonOptions>();
        app.MapGet(HealthPath, () => JsonBody.Result(new HealthResponse("ok", Version, (DateTimeOffset.UtcNow - options.StartedAt).TotalSeconds)))
            .AllowAnonymous();

        RouteGroupBuilder api = app.MapGroup("/api/daemon").AddEndpointFilter(UnixSocketIdentity.RequireCaller);

        api.MapPost("/firewall/explain", UiBridgeApi.ExplainAsync);

        api.MapGet("/status", async (StackRepository stacks, IServiceProvider services, IStateStore store, CancellationToken ct) =>
            JsonBody.Result(new DaemonStatusResponse(Version, options.StartedAt, options.StateDir, store.DatabasePath,
                services.GetService<IStackRuntime>() is not null, (await stacks.ListStacksAsync(ct)).Count, (await stacks.UnfinishedAsync(ct)).Count,
                ProcessRss())));

        api.MapGet("/events", async (EventLog events, string? stack, int? max, long? after, CancellationToken ct) =>
            JsonBody.Result((await events.RecentAsync(stack, max ?? 100, after ?? 0, ct)).Select(EventResponse.From)));

        api.MapGet("/events/stream", async (HttpContext context, EventLog events, string? stack, CancellationToken ct) =>
        {
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            await context.Response.Body.FlushAsync(ct);
            try
            {
                await foreach (ApplianceEventRecord e in events.WatchAsync(ct))
                {
                    if (stack is null || e.Stack == stack)
                    {
                        await context.Response.WriteAsync($"id: {e.Id}\ndata: {JsonSerializer.Serialize(EventResponse.From(e), JsonBody.TypeInfo<EventResponse>())}\n\n", ct);
                        await context.Response.Body.FlushAsync(ct);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // the client went away
            }
        });

        api.MapPost("/events", async (HttpRequest request, EventLog events, CancellationToken ct) =>
        {
            (NoteRequest? note, IResult? error) = await JsonBody.ReadAsync<NoteRequest>(request, """{"message": "replaced disk 2", "stack": "gitlab"}""", 16 * 1024, ct);
            if (error is not null)
            {
                return error;
            }
            if (string.IsNullOrWhiteSpace(note!.Message) || note.Message.Length > 2000)
            {
                return JsonBody.BadRequest("message: write 1 to 2000 characters");
            }
            if (note.Stack is not null && !StackName().IsMatch(note.Stack))
            {
                return BadStackName(note.Stack);
            }
            ApplianceEventRecord stored = await events.PublishAsync(EventKind.Note, note.Stack, null, note.Message, "note by " + Caller(request.HttpContext), ct);
            return JsonBody.Result(EventResponse.From(stored), statusCode: StatusCodes.Status201Created);
        });

        api.MapGet("/stacks", async (StackRepository stacks, IServiceProvider services, HealthMonitor health, CancellationToken ct) =>
        {
            IStackRuntime? runtime = services.GetService<IStackRuntime>();
            var list = new List<StackSummary>();
            foreach (StackRecord stack in await stacks.ListStacksAsync(ct))
            {
                IReadOnlyList<ServiceSummary> observed = runtime is null ? [] :
                    [.. (await runtime.InspectAsync(stack.Name, ct)).Services.Select(s => Summary(s, health.Get(stack.Name, s.Service)))];
                list.Add(new StackSummary(stack.Name, stack.Version, stack.DesiredState, stack.UpdatedAt, observed));
            }
            return JsonBody.Result(list);
        });

        // A user's stop is remembered (restart policies, autoheal and reconcile leave it down) until a user's start; see StackControl.
        api.MapPost("/stacks/{name}/services/{service}/{operation}", async (string name, string service, string operation, HttpContext context,
            IServiceProvider services, CancellationToken ct) =>
        {
            if (!StackName().IsMatch(name))
            {
                return BadStackName(name);
            }
            if (operation is not ("start" or "stop" or "restart"))
            {
                return JsonBody.Result(new ErrorResponse($"'{operation}' is not a service operation; use start, stop or restart"), statusCode: StatusCodes.Status404NotFound);
            }
            if (services.GetService<StackControl>() is not { } control)
            {
                return JsonBody.Result(new ErrorResponse(NoEngine), statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            ControlResult result = operation == "stop"
                ? await control.StopServiceAsync(name, service, Caller(context), ct)
                : await control.StartServiceAsync(name, service, Caller(context), restart: operation == "restart", ct);
            return Outcome(name, result);
        });

        api.MapPost("/stacks/{name}/{operation}", async (string name, string operation, HttpContext context, IServiceProvider services, CancellationToken ct) =>
        {
            if (!StackName().IsMatch(name))
            {
                return BadStackName(name);
            }
            if (operation is "update" or "check-updates")
            {
                return await UpdateImagesAsync(name, operation == "check-updates", services, ct);
            }
            if (operation is not ("start" or "stop" or "restart"))
            {
                return JsonBody.Result(new ErrorResponse($"'{operation}' is not a stack operation; use start, stop, restart, check-updates or update"),
                    statusCode: StatusCodes.Status404NotFound);
            }
            if (services.GetService<StackControl>() is not { } control)
            {
                return JsonBody.Result(new ErrorResponse(NoEngine), statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            ControlResult result = operation == "stop"
                ? await control.StopStackAsync(name, Caller(context), ct)
                : await control.StartStackAsync(name, Caller(context), restart: operation == "restart", ct);
            return Outcome(name, result);
        });

        api.MapGet("/stacks/{name}/deployments", async (string name, StackRepository stacks, CancellationToken ct) =>
            !StackName().IsMatch(name) ? BadStackName(name) :
            JsonBody.Result((await stacks.DeploymentsAsync(name, ct)).Select(d => new DeploymentSummary(d.Version, d.Status, d.Error, d.CreatedAt, d.FinishedAt))));

        api.MapPut("/stacks/{name}", async (string name, HttpRequest request, IServiceProvider services, CancellationToken ct) =>
        {
            if (!StackName().IsMatch(name))
            {
                return BadStackName(name);
            }
            (DeployRequest? deploy, IResult? error) = await JsonBody.ReadAsync<DeployRequest>(request, """{"stackFile": "services: ...", "parameters": {"DOMAIN": "git.example"}}""", JsonBody.DefaultLimit, ct);
            if (error is not null)
            {
                return error;
            }
            IReadOnlyDictionary<string, string> parameters = deploy!.Parameters ?? [];
            StackLoadResult loaded = StackLoader.LoadFromText(deploy.StackFile, StackFiles.PathOf(options.StateDir, name), parameters);
            if (loaded.HasErrors)
            {
                string[] problems = [.. loaded.Errors.Select(d => d.ToString())];
                return JsonBody.Result(new ErrorResponse($"the stack file of '{name}' has {problems.Length} error(s); nothing was changed", problems),
                    statusCode: StatusCodes.Status422UnprocessableEntity);
            }
            if (services.GetService<Deployer>() is not { } deployer)
            {
                return JsonBody.Result(new ErrorResponse(NoEngine), statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            try
            {
                DeployResult result = await deployer.DeployAsync(name, deploy.StackFile, parameters, ct);
                return JsonBody.Result(new OperationResponse(result.Succeeded, result.Stack, result.Version, result.Message),
                    statusCode: result.Succeeded ? StatusCodes.Status200OK : StatusCodes.Status422UnprocessableEntity);
            }
            catch (StateConflictException e)
            {
                return JsonBody.Result(new ErrorResponse(e.Message), statusCode: StatusCodes.Status409Conflict);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return JsonBody.Result(new ErrorResponse($"the plan of '{name}' stopped: {e.Message}; it is retried when the daemon reconciles (see `appliance events`)"),
                    statusCode: StatusCodes.Status500InternalServerError);
            }
        });

        api.MapDelete("/stacks/{name}", async (string name, bool? volumes, IServiceProvider services, CancellationToken ct) =>
        {
            if (!StackName().IsMatch(name))
            {
                return BadStackName(name);
            }
            if (services.GetService<Deployer>() is not { } deployer)
            {
                return JsonBody.Result(new ErrorResponse(NoEngine), statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            try
            {
                DeployResult result = await deployer.RemoveAsync(name, volumes == true, ct);
                return JsonBody.Result(new OperationResponse(result.Succeeded, result.Stack, result.Version, result.Message));
            }
            catch (StateConflictException e)
            {
                return JsonBody.Result(new ErrorResponse(e.Message), statusCode: e.Message.StartsWith("there is no stack", StringComparison.Ordinal)
                    ? StatusCodes.Status404NotFound : StatusCodes.Status409Conflict);
            }
        });
        return app;
    }

    /// <summary>Check for updates (newer images of the stack's tags in the registry) or Update images (pull them, deploy again).</summary>
    private static async Task<IResult> UpdateImagesAsync(string name, bool checkOnly, IServiceProvider services, CancellationToken ct)
    {
        if (services.GetService<ImageUpdates>() is not { } updates || services.GetService<Deployer>() is not { } deployer)
        {
            return JsonBody.Result(new ErrorResponse(NoEngine), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        try
        {
            if (checkOnly)
            {
                IReadOnlyList<ImageUpdate> newer = await updates.FindAsync(name, ct);
                int version = (await services.GetRequiredService<StackRepository>().GetStackAsync(name, ct))?.Version ?? 0;
                return JsonBody.Result(new OperationResponse(true, name, version, ImageUpdates.Summarize(newer)));
            }
            DeployResult result = await updates.UpdateAsync(name, deployer, ct);
            return result.Succeeded
                ? JsonBody.Result(new OperationResponse(true, name, result.Version, result.Message))
                : JsonBody.Result(new ErrorResponse(result.Message), statusCode: StatusCodes.Status422UnprocessableEntity);
        }
        catch (StateConflictException e)
        {
            return JsonBody.Result(new ErrorResponse(e.Message), statusCode: StatusCodes.Status404NotFound);
        }
        catch (ImageException e)
        {
            return JsonBody.Result(new ErrorResponse($"the registry of a '{name}' image did not answer as expected: {e.Message}"), statusCode: StatusCodes.Status502BadGateway);
        }
    }

    private static IResult Outcome(string stack, ControlResult result) => result.Succeeded
        ? JsonBody.Result(new OperationResponse(true, stack, result.Version, result.Message))
        : JsonBody.Result(new ErrorResponse(result.Message), statusCode: StatusCodes.Status404NotFound);

    private static ServiceSummary Summary(ObservedService service, ServiceHealthSnapshot? health) => new(
        service.Service, service.State.ToString().ToLowerInvariant(), health?.Health.Status.ToWire() ?? "none", service.ExitCode,
        health?.Autoheal.Restarts.Count ?? 0, health is null ? null : health.Autoheal.BreakerOpen ? "circuit breaker open" : health.LastAction);

    private static IResult BadStackName(string name) => JsonBody.BadRequest(
        $"'{name}' is not a stack name; use 1 to 32 lower-case letters, digits and '-', starting with a letter or digit, e.g. gitlab");

    private static string Caller(HttpContext context) => context.User.Identity?.Name ?? "anonymous";

    /// <summary>Resident set size of this process, from /proc/self/status (VmRSS).</summary>
    public static long ProcessRss()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        return 0;
    }
}
