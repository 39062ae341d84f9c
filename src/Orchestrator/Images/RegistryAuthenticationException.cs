namespace Appliance.Orchestrator.Images;

/// <summary>The registry wants credentials Appliance does not have, or refused the ones it has.</summary>
public sealed class RegistryAuthenticationException(string registry, string message)
    : ImageException(message)
{
    public string Registry { get; } = registry;
}
