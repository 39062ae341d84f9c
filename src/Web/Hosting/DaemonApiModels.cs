using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Orchestrator.Events;

namespace Appliance.Web.Hosting;

// Wire DTOs of the daemon's own endpoints (/api/health, /api/daemon/*): one small family, one file.

/// <summary>GET /api/health.</summary>
public sealed record HealthResponse(string Status, string Version, double UptimeSeconds);

/// <summary>GET /api/daemon/status.</summary>
public sealed record DaemonStatusResponse(string Version, DateTimeOffset StartedAt, string StateDir, string Database, bool EngineConnected,
    int Stacks, int UnfinishedPlans, long RssBytes);

/// <summary>An error a client can act on (every 4xx/5xx of the daemon's endpoints).</summary>
public sealed record ErrorResponse(string Error, IReadOnlyList<string>? Details = null);

/// <summary>POST /api/daemon/events: an operator's note in the event log ("replaced disk 2").</summary>
public sealed record NoteRequest(string Message, string? Stack = null);

/// <summary>PUT /api/daemon/stacks/{name}: deploy or update.</summary>
public sealed record DeployRequest(string StackFile, Dictionary<string, string>? Parameters = null);

/// <summary>One stack in GET /api/daemon/stacks.</summary>
public sealed record StackSummary(string Name, int Version, string DesiredState, DateTimeOffset UpdatedAt, IReadOnlyList<ServiceSummary> Services);

/// <summary>A service of a stack, observed (state from the runtime, health from the monitor).</summary>
/// <param name="AutohealRestarts">Restarts autoheal did within its breaker window.</param>
/// <param name="Autoheal">What autoheal last decided, in words (null until it acted); "circuit breaker open" once it gave up.</param>
public sealed record ServiceSummary(string Name, string State, string Health, int? ExitCode, int AutohealRestarts = 0, string? Autoheal = null);

/// <summary>One deployment in GET /api/daemon/stacks/{name}/deployments.</summary>
public sealed record DeploymentSummary(int Version, string Status, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt);

/// <summary>The outcome of a deploy or remove.</summary>
public sealed record OperationResponse(bool Succeeded, string Stack, int Version, string Message);

/// <summary>One event on the wire (GET /api/daemon/events and the SSE stream).</summary>
public sealed record EventResponse(long Id, DateTimeOffset Time, string Kind, string? Stack, string? Service, string Message, string? Reason)
{
    public static EventResponse From(ApplianceEventRecord e) => new(e.Id, e.Time, e.Kind, e.Stack, e.Service, e.Message, e.Reason);
}

/// <summary>
/// The JSON of the daemon's endpoints and of the CLI that calls them (<see cref="JsonBody.Options"/>), generated at build
/// time instead of reflected at run time: web names (camelCase), and strict reading: unknown fields, nulls where the
/// type says non-null, and missing constructor parameters are errors; enums by name (<c>"HostOnly"</c>, not 0). Every type that
/// crosses the unix socket is listed, the UI bridge's (Hosting/UiBridgeApi) too.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(DaemonStatusResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(NoteRequest))]
[JsonSerializable(typeof(DeployRequest))]
[JsonSerializable(typeof(OperationResponse))]
[JsonSerializable(typeof(StackSummary[]))]
[JsonSerializable(typeof(List<StackSummary>))]
[JsonSerializable(typeof(EventResponse))]
[JsonSerializable(typeof(EventResponse[]))]
[JsonSerializable(typeof(IEnumerable<EventResponse>))]
[JsonSerializable(typeof(DeploymentSummary[]))]
[JsonSerializable(typeof(IEnumerable<DeploymentSummary>))]
[JsonSerializable(typeof(Ui.Backend.FlowQuery))]
[JsonSerializable(typeof(Ui.Backend.FlowExplanation))]
[JsonSerializable(typeof(Ui.Backend.HealthView[]))]
[JsonSerializable(typeof(BridgeDeployRequest))]
[JsonSerializable(typeof(BridgeStackOperation))]
[JsonSerializable(typeof(BridgeServiceOperation))]
[JsonSerializable(typeof(BridgeExposureChange))]
[JsonSerializable(typeof(BridgeConfirmRequest))]
[JsonSerializable(typeof(BridgeSetupToken))]
[JsonSerializable(typeof(BridgeFlag))]
[JsonSerializable(typeof(Ui.Backend.StackView))]
[JsonSerializable(typeof(IReadOnlyList<Ui.Backend.StackView>))]
[JsonSerializable(typeof(Ui.Backend.ApplianceEvent))]
[JsonSerializable(typeof(IReadOnlyList<Ui.Backend.ApplianceEvent>))]
[JsonSerializable(typeof(Ui.Backend.LogLine))]
[JsonSerializable(typeof(Ui.Backend.OperationResult))]
[JsonSerializable(typeof(IReadOnlyList<Ui.Backend.PendingChange>))]
[JsonSerializable(typeof(IReadOnlyList<int>))]
[JsonSerializable(typeof(Ui.Backend.FirewallView))]
[JsonSerializable(typeof(IReadOnlyList<Ui.Backend.ScheduleView>))]
[JsonSerializable(typeof(IReadOnlyList<Ui.Backend.HealthView>))]
[JsonSerializable(typeof(Ui.Backend.NetworkSettings))]
[JsonSerializable(typeof(Security.AdminAccount))]
[JsonSerializable(typeof(IReadOnlyList<Security.AdminAccount>))]
[JsonSerializable(typeof(Security.ApiToken))]
[JsonSerializable(typeof(IReadOnlyList<Security.ApiToken>))]
[JsonSerializable(typeof(Security.SetupStatus))]
internal sealed partial class DaemonJson : JsonSerializerContext;
