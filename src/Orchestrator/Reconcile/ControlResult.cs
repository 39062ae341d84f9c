namespace Appliance.Orchestrator.Reconcile;

public enum ControlOutcome
{
    Done,
    NotFound,
}

/// <summary>What a user's stop or start did (<see cref="StackControl"/>), with the stack's current version.</summary>
public sealed record ControlResult(ControlOutcome Outcome, int Version, string Message)
{
    public bool Succeeded => Outcome == ControlOutcome.Done;
}
