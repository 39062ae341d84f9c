namespace Appliance.Orchestrator.Runtime;

/// <summary>No container with that id exists under this runtime's root.</summary>
public sealed class ContainerNotFoundException : RuntimeException
{
    public ContainerNotFoundException(string id)
        : base($"container '{id}' does not exist (it was removed, or another runtime root holds it)") => Id = id;

    public string Id { get; }
}
