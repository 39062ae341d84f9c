namespace Appliance.Orchestrator.Engine;

/// <summary>The steps of `up` and `down`, as progress events and failures name them.</summary>
public enum EngineStep
{
    PullImage,
    AllocateAddresses,
    CreateNetwork,
    CreateVolume,
    CreateRootfs,
    CreateNamespace,
    AttachNetwork,
    CreateContainer,
    StartContainer,
    WaitForDependency,
    StackUp,
    StopContainer,
    RemoveContainer,
    RemoveNetwork,
    RemoveVolume,
    StackDown,
    Rollback,
}
