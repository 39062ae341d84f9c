namespace Appliance.Orchestrator.Runtime;

/// <summary>The observed state of a container, as <c>runc state</c> reports it, and conmon's exit file.</summary>
public sealed record ContainerState
{
    public required string Id { get; init; }

    public required ContainerStatus Status { get; init; }

    /// <summary>Host pid of the container's process while it runs, else 0.</summary>
    public int Pid { get; init; }

    /// <summary>Exit code once stopped (128+signal when killed), if conmon recorded one.</summary>
    public int? ExitCode { get; init; }

    public required string Bundle { get; init; }

    public DateTimeOffset Created { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public bool IsRunning => Status == ContainerStatus.Running;
}
