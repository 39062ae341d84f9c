namespace Appliance.Orchestrator.Stacks.Resolved;

/// <summary>cgroup limits: memory in bytes, CPUs (1.5 = one and a half cores), max number of processes.</summary>
public sealed record ResourceLimits(long? MemoryBytes, double? Cpus, long? Pids)
{
    public static ResourceLimits None { get; } = new(null, null, null);
}
