namespace Appliance.Orchestrator.Stacks.Resolved;

/// <summary>
/// A catalog parameter's value for this load. <see cref="Generated"/> is true when the loader made it
/// (a <c>generate: secret</c> with no value given): the caller must store it and pass it back as a
/// variable next time, or the secret changes.
/// </summary>
public sealed record ResolvedParameter(string Name, ParameterType Type, string Value, bool Generated, string? Description);
