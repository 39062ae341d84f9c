using Appliance.Web.Ui.Backend;
using Appliance.Web.Ui.Catalog;
using Appliance.Web.Ui.Editor;

namespace Appliance.Web.Api;

/// <summary>/api/stacks, /api/catalog, /api/events: the operations of the dashboard, catalog, detail and editor pages.</summary>
public static class StacksApi
{
    private static readonly string[] Operations = ["start", "stop", "restart", "check-updates", "update"];
    private static readonly string[] ServiceOperations = ["start", "stop", "restart"];

    public static RouteGroupBuilder MapStacksApi(this RouteGroupBuilder api)
    {
        api.MapGet("/stacks", (IApplianceBackend backend, CancellationToken ct) => backend.ListStacksAsync(ct)).WithTags("Stacks");
        api.MapGet("/stacks/{name}", async Task<IResult> (string name, IApplianceBackend backend, CancellationToken ct)
            => await backend.GetStackAsync(name, ct) is { } stack ? Results.Ok(stack) : NotFound($"No stack named '{name}'.")).WithTags("Stacks");
        api.MapPost("/stacks", async Task<IResult> (DeployRequest request, IApplianceBackend backend, IStackValidator validator, CancellationToken ct) =>
        {
            if (!StackCatalog.IsSafeName(request.Name))
            {
                return Problem(400, $"'{request.Name}' is not a valid stack name; use lowercase letters, digits, '-' and '_' (max 63).");
            }
            IReadOnlyList<StackDiagnostic> errors = validator.Validate(request.StackYaml, $"{request.Name}/stack.yaml");
            if (errors.Count > 0)
            {
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["stackYaml"] = [.. errors.Select(e => e.ToString())] });
            }
            return Outcome(await backend.DeployAsync(request.Name, request.StackYaml, request.Parameters ?? [], ct));
        }).WithTags("Stacks");
        api.MapPost("/stacks/validate", (ValidateRequest request, IStackValidator validator)
            => validator.Validate(request.StackYaml, "stack.yaml")).WithTags("Stacks");
        api.MapPost("/stacks/{name}/{operation}", async Task<IResult> (string name, string operation, IApplianceBackend backend, CancellationToken ct)
            => Operations.Contains(operation)
                ? Outcome(await backend.RunAsync(name, operation, false, ct))
                : NotFound($"Unknown operation '{operation}'; valid: {string.Join(", ", Operations)}.")).WithTags("Stacks");
        api.MapPost("/stacks/{name}/services/{service}/{operation}", async Task<IResult> (string name, string service, string operation, IApplianceBackend backend,
            CancellationToken ct)
            => ServiceOperations.Contains(operation)
                ? Outcome(await backend.RunServiceAsync(name, service, operation, ct))
                : NotFound($"Unknown service operation '{operation}'; valid: {string.Join(", ", ServiceOperations)}.")).WithTags("Stacks");
        api.MapDelete("/stacks/{name}", async (string name, bool? volumes, IApplianceBackend backend, CancellationToken ct)
            => Outcome(await backend.RunAsync(name, "remove", volumes ?? false, ct))).WithTags("Stacks");
        api.MapPut("/stacks/{name}/services/{service}/ports/{hostPort:int}/exposure",
            async (string name, string service, int hostPort, ExposureRequest request, IApplianceBackend backend, CancellationToken ct)
                => Outcome(await backend.SetExposureAsync(name, service, hostPort, request.Protocol ?? "tcp", request.Exposure, ct))).WithTags("Stacks");
        api.MapGet("/stacks/{name}/logs", async Task<IResult> (string name, string? service, int? tail, IApplianceBackend backend, CancellationToken ct) =>
        {
            // A snapshot of the tail: the live follow is on the stack page (and `appliance stack logs -f`).
            (IAsyncEnumerator<LogLine> lines, bool any, IResult? missing) = await OpenLogsAsync(backend, name, service, Math.Clamp(tail ?? 200, 1, 5000), ct);
            await using (lines)
            {
                if (missing is not null)
                {
                    return missing;
                }
                var list = new List<LogLine>();
                for (bool more = any; more; more = await lines.MoveNextAsync())
                {
                    list.Add(lines.Current);
                }
                return Results.Ok(list);
            }
        }).WithTags("Stacks");
        api.MapGet("/stacks/{name}/logs/download", async Task<IResult> (string name, string? service, IApplianceBackend backend, CancellationToken ct) =>
        {
            // Everything kept (the rotated files too), as text: to read at leisure or attach to a bug report.
            (IAsyncEnumerator<LogLine> lines, bool any, IResult? missing) = await OpenLogsAsync(backend, name, service, null, ct);
            if (missing is not null)
            {
                await lines.DisposeAsync();
                return missing;
            }
            string? who = any ? lines.Current.Service : service;
            string file = $"{(StackCatalog.IsSafeName(name) ? name : "stack")}-{(who is not null && StackCatalog.IsSafeName(who) ? who : "service")}-logs.txt";
            return Results.Stream(async body =>
            {
                await using (lines)
                await using (var writer = new StreamWriter(body, new System.Text.UTF8Encoding(false), 1 << 16))
                {
                    for (bool more = any; more; more = await lines.MoveNextAsync())
                    {
                        LogLine line = lines.Current;
                        await writer.WriteLineAsync($"{line.Time:yyyy-MM-ddTHH:mm:ss.fffzzz} {line.Stream} {line.Text}".AsMemory(), ct);
                    }
                }
            }, "text/plain; charset=utf-8", file);
        }).WithTags("Stacks");
        api.MapGet("/events", (string? stack, int? max, IApplianceBackend backend, CancellationToken ct)
            => backend.RecentEventsAsync(stack, Math.Clamp(max ?? 100, 1, 1000), ct)).WithTags("Stacks");
        api.MapGet("/catalog", (StackCatalog catalog) => catalog.List().Select(e => new CatalogListEntry(e.Name, e.Title, e.Description, e.Parameters, e.DefaultHostPorts))).WithTags("Catalog");
        api.MapPost("/catalog/{name}/install", async Task<IResult> (string name, InstallRequest request, StackCatalog catalog, IApplianceBackend backend, CancellationToken ct) =>
        {
            if (catalog.Find(name) is not { } entry)
            {
                return NotFound($"The catalog has no stack '{name}'.");
            }
            var parameters = InstallPlanner.Fill(entry, request.Parameters);
            IReadOnlyList<int> used = await backend.UsedHostPortsAsync(ct);
            IReadOnlyList<string> conflicts = InstallPlanner.PortConflicts(entry, parameters, used);
            if (conflicts.Count > 0)
            {
                return Problem(409, string.Join(" ", conflicts));
            }
            return Outcome(await backend.DeployAsync(name, entry.StackYaml, parameters, ct));
        }).WithTags("Catalog");
        return api;
    }

    /// <summary>The logs of a service (the stack's first when none is named), positioned on their first line if there is one;
    /// a 404 saying what is missing when there is no such stack or service.</summary>
    private static async Task<(IAsyncEnumerator<LogLine> Lines, bool Any, IResult? Missing)> OpenLogsAsync(IApplianceBackend backend, string name, string? service,
        int? tail, CancellationToken ct)
    {
        IAsyncEnumerator<LogLine> lines = backend.ReadLogsAsync(name, string.IsNullOrEmpty(service) ? null : service, tail, ct).GetAsyncEnumerator(ct);
        try
        {
            return (lines, await lines.MoveNextAsync(), null);
        }
        catch (Exception e) when (e is Orchestrator.Engine.EngineException or Orchestrator.Runtime.RuntimeException
            or Ui.Bridge.DaemonBridgeRequestException { StatusCode: StatusCodes.Status404NotFound })
        {
            return (lines, false, NotFound(e.Message));
        }
    }

    internal static IResult Outcome(OperationResult result)
        => result.Succeeded ? Results.Ok(result) : Problem(409, result.Message);

    internal static IResult NotFound(string detail) => Problem(404, detail);

    internal static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);
}
