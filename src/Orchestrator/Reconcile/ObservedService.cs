namespace Appliance.Orchestrator.Reconcile;

/// <summary>One service of a stack as found on the box (runc/conmon state).</summary>
public sealed record ObservedService(string Service, ContainerState State, string? ContainerId = null, int? ExitCode = null,
    DateTimeOffset? StartedAt = null, string? Address = null);
