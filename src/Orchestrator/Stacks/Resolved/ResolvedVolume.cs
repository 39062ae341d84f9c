namespace Appliance.Orchestrator.Stacks.Resolved;

/// <summary>A named volume: <see cref="Name"/> is the key in the file, <see cref="StorageName"/> the name it is stored under.</summary>
public sealed record ResolvedVolume(string Name, string StorageName, IReadOnlyList<KeyValuePair<string, string>> Labels);
