namespace Appliance.Orchestrator.Engine;

/// <summary>Groups of <see cref="EngineStep"/>s.</summary>
public static class EngineSteps
{
    /// <summary>The steps of `up`, in the order a service meets them (services run theirs in parallel, in depends_on order).</summary>
    public static IReadOnlyList<EngineStep> Up { get; } =
    [
        EngineStep.PullImage, EngineStep.AllocateAddresses, EngineStep.CreateNetwork, EngineStep.ApplyFirewall, EngineStep.WaitForDependency,
        EngineStep.CreateRootfs, EngineStep.CreateVolume, EngineStep.CreateNamespace, EngineStep.AttachNetwork, EngineStep.CreateContainer,
        EngineStep.StartContainer, EngineStep.StackUp,
    ];
}
