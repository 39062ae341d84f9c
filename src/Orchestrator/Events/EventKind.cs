namespace Appliance.Orchestrator.Events;

/// <summary>The kinds of events (wire values, one mapping place).</summary>
public static class EventKind
{
    public const string Deploy = "deploy";
    public const string Rollback = "rollback";
    public const string Restart = "restart";
    public const string Health = "health";
    public const string Autoheal = "autoheal";
    public const string Alert = "alert";
    public const string Firewall = "firewall";
    public const string Schedule = "schedule";
    public const string Reconcile = "reconcile";
    public const string Daemon = "daemon";
    public const string Note = "note";

    public static IReadOnlyList<string> All { get; } = [Deploy, Rollback, Restart, Health, Autoheal, Alert, Firewall, Schedule, Reconcile, Daemon, Note];
}
