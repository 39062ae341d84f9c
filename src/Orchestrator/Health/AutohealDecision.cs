namespace Appliance.Orchestrator.Health;

/// <summary>The action, the new state to keep, and the reason (the text of the event).</summary>
public sealed record AutohealDecision(AutohealAction Action, AutohealState State, string Reason);
