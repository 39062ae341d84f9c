using Appliance.Orchestrator.Health.Schedules;

namespace Appliance.Orchestrator.Reconcile;

/// <summary>A deployed stack as the supervisor sees it: services (restart, health, dependencies, autoheal) and schedules.</summary>
public sealed record StackModel(string Name, int Version, IReadOnlyList<ServiceModel> Services, IReadOnlyList<ScheduleSpec> Schedules)
{
    public ServiceModel? Service(string name) => Services.FirstOrDefault(s => s.Name == name);
}
