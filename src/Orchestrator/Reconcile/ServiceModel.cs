using Appliance.Orchestrator.Health;

namespace Appliance.Orchestrator.Reconcile;

/// <summary>What the daemon needs to know of one service to supervise it.</summary>
public sealed record ServiceModel(string Name, RestartPolicy Restart, HealthCheckSpec? HealthCheck, IReadOnlyList<string> DependsOn, AutohealPolicy Autoheal);
