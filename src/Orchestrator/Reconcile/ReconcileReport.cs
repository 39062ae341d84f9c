namespace Appliance.Orchestrator.Reconcile;

/// <summary>What one reconcile pass did (each action also went to the event log).</summary>
public sealed record ReconcileReport(IReadOnlyList<string> Actions, IReadOnlyList<string> Errors)
{
    public bool Untouched => Actions.Count == 0 && Errors.Count == 0;
}
