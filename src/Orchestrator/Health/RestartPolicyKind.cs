namespace Appliance.Orchestrator.Health;

/// <summary>Compose <c>restart:</c> values.</summary>
public enum RestartPolicyKind
{
    No,
    Always,
    OnFailure,
    UnlessStopped,
}
