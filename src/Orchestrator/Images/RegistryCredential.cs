namespace Appliance.Orchestrator.Images;

/// <summary>A login for one registry (basic auth, or the credentials exchanged for a bearer token).</summary>
public sealed record RegistryCredential(string Username, string Password)
{
    public override string ToString() => $"{Username}:***";
}
