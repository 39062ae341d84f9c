namespace Appliance.Orchestrator.Reconcile;

/// <summary>What one reconcile pass did (each action also went to the event log).</summary>
/// <param name="NextRestartAt">When the earliest restart that waits out its backoff is due (the caller runs a pass then), if any.</param>
public sealed record ReconcileReport(IReadOnlyList<string> Actions, IReadOnlyList<string> Errors, DateTimeOffset? NextRestartAt = null)
{
    public bool Untouched => Actions.Count == 0 && Errors.Count == 0;
}
