namespace Appliance.Orchestrator.Engine;

/// <summary>The steps of `up` and `down`, as progress events and failures name them.</summary>
public enum EngineStep
{
    PullImage,
    AllocateAddresses,
    CreateNetwork,
    ApplyFirewall,
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
    RemoveFirewall,
    RemoveVolume,
    StackDown,
    Rollback,
}
