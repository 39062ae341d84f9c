namespace Appliance.Orchestrator.Reconcile;

/// <summary>One version of a stack to run: the resolved stack file and the parameters it was deployed with.</summary>
public sealed record StackDeployment(string Stack, int Version, string StackFile, IReadOnlyDictionary<string, string> Parameters);
