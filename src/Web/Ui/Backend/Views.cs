namespace Appliance.Web.Ui.Backend;

// The view models the pages and the REST API show: a small DTO family, one file.

/// <summary>Who can open a published port, read from the live ruleset.</summary>
public enum Exposure
{
    HostOnly,
    Lan,
    Internet,
}

public sealed record StackView(
    string Name,
    string State,
    IReadOnlyList<ServiceView> Services,
    IReadOnlyList<PortView> Ports,
    DateTimeOffset? DeployedAt = null,
    IReadOnlyList<string>? NewerImages = null,
    DateTimeOffset? ImagesCheckedAt = null);

public sealed record ServiceView(
    string Name,
    string Image,
    string State,
    string Health,
    int RestartCount,
    string? Address = null);

/// <summary>A published port and who can reach it (from the live ruleset; <see cref="Note"/> says when it is not enforced there).</summary>
public sealed record PortView(
    string Service,
    int HostPort,
    int ContainerPort,
    string Protocol,
    Exposure Exposure,
    IReadOnlyList<string> AllowedSources,
    string? Note = null);

/// <summary>Something that happened: deploy step, health change, restart, firewall change, pull progress.</summary>
public sealed record ApplianceEvent(
    DateTimeOffset Time,
    string Kind,
    string? Stack,
    string? Service,
    string Message,
    double? Progress = null);

public sealed record LogLine(DateTimeOffset Time, string Service, string Stream, string Text);

/// <summary>
/// A firewall change waiting for the admin's confirmation; rolled back by itself at the deadline. <see cref="Port"/> is set
/// when it changes who may reach a stack's published port; otherwise it narrows who may reach the admin UI or SSH.
/// </summary>
public sealed record PendingChange(string Id, string Description, DateTimeOffset Deadline)
{
    public PendingPortChange? Port { get; init; }
}

/// <summary>A published port's exposure changed from <see cref="Previous"/> to <see cref="Next"/>; unconfirmed, it goes back to Previous.</summary>
public sealed record PendingPortChange(string Stack, int HostPort, string Protocol, Exposure Previous, Exposure Next);

/// <summary>The answer of an operation: what happened, or why not and how to fix it.</summary>
public sealed record OperationResult(bool Succeeded, string Message, PendingChange? Pending = null)
{
    public static OperationResult Ok(string message, PendingChange? pending = null) => new(true, message, pending);

    public static OperationResult Fail(string message) => new(false, message);
}

public sealed record FirewallView(
    string Backend,
    IReadOnlyList<string> Intent,
    string LiveRules,
    IReadOnlyList<FirewallFinding> Findings,
    IReadOnlyList<PendingChange> Pending);

public sealed record FirewallFinding(string Table, string Chain, string Rule, string Problem, string Fix);

public sealed record FlowQuery(string Source, string Destination, string Protocol, int Port);

public sealed record FlowExplanation(bool Passes, string Verdict, IReadOnlyList<string> Steps);

public sealed record ScheduleView(string Stack, string? Service, string Job, string Cron, DateTimeOffset? LastRun, DateTimeOffset? NextRun, string? LastResult);

public sealed record HealthView(string Stack, string Service, string Health, string Autoheal, IReadOnlyList<HealthSample> History);

public sealed record HealthSample(DateTimeOffset Time, string Health, string? Output);

public sealed record NetworkSettings(IReadOnlyList<string> LanSubnets, IReadOnlyList<string> AdminSources, string FirewallBackend);

/// <summary>STATE/network-settings.json (<see cref="NetworkSettings"/>, default options), generated at build time.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(NetworkSettings))]
internal sealed partial class NetworkSettingsJson : System.Text.Json.Serialization.JsonSerializerContext;
