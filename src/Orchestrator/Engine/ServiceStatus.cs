using Appliance.Orchestrator.Runtime;

namespace Appliance.Orchestrator.Engine;

/// <summary>A row of `ps`: one service's container as observed now.</summary>
/// <param name="StartedAt">When the container's current run was created (runc's <c>created</c>; a restart makes it anew), if known.</param>
public sealed record ServiceStatus(string Stack, string Service, string ContainerId, ContainerStatus Status, int? ExitCode, string? Address, string Image,
    DateTimeOffset? StartedAt = null);
