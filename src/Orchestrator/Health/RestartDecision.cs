namespace Appliance.Orchestrator.Health;

/// <summary>What to do about a container that exited: restart after <see cref="Delay"/> or leave it, and why (for the event).</summary>
public sealed record RestartDecision(bool Restart, TimeSpan Delay, string Reason);
