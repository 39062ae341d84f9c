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
