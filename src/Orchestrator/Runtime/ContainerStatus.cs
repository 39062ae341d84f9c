namespace Appliance.Orchestrator.Runtime;

/// <summary>OCI runtime states (the one mapping from runc's strings is <see cref="RuncRuntime"/>).</summary>
public enum ContainerStatus
{
    Creating,
    Created,
    Running,
    Paused,
    Stopped,
}
