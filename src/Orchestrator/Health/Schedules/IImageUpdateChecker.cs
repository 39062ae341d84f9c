using Appliance.Orchestrator.Reconcile;

namespace Appliance.Orchestrator.Health.Schedules;

/// <summary>Asks the registry whether newer images exist for a stack's tags (the image store implements it); returns a sentence for the event.</summary>
public interface IImageUpdateChecker
{
    Task<string> CheckAsync(StackDeployment deployment, CancellationToken cancellationToken = default);
}
