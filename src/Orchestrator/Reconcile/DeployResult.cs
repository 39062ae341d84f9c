namespace Appliance.Orchestrator.Reconcile;

/// <summary>How a plan ended: the stack's version now, and a sentence for the user.</summary>
public sealed record DeployResult(bool Succeeded, string Stack, int Version, string Message);
