namespace Appliance.Orchestrator.Stacks.Resolved;

/// <summary>A dependency the engine waits for before starting the service.</summary>
public sealed record ResolvedDependency(string Service, DependencyCondition Condition, bool Restart, bool Required);
