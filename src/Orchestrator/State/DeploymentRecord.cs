namespace Appliance.Orchestrator.State;

/// <summary>One deployment (or removal) of a stack and its plan: the steps, and the index of the next one to run.</summary>
public sealed record DeploymentRecord(long Id, string Stack, int Version, string StackFile, IReadOnlyDictionary<string, string> Parameters,
    string Status, IReadOnlyList<string> Plan, int Step, int? PreviousVersion, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt);
