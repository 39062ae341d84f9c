using Appliance.Orchestrator.Runtime;

namespace Appliance.Orchestrator.Engine;

/// <summary>A row of `ps`: one service's container as observed now.</summary>
public sealed record ServiceStatus(string Stack, string Service, string ContainerId, ContainerStatus Status, int? ExitCode, string? Address, string Image);
