namespace Appliance.Orchestrator.State;

/// <summary>A stack as deployed (the desired state): its resolved stack file, parameters and current deployment version.</summary>
public sealed record StackRecord(string Name, string StackFile, IReadOnlyDictionary<string, string> Parameters, string DesiredState, int Version,
    DateTimeOffset UpdatedAt);
