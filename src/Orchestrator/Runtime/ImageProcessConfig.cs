namespace Appliance.Orchestrator.Runtime;

/// <summary>The part of an OCI image config that decides what a container runs (config.Entrypoint, Cmd, Env, User, WorkingDir).</summary>
public sealed record ImageProcessConfig
{
    public IReadOnlyList<string> Entrypoint { get; init; } = [];

    public IReadOnlyList<string> Cmd { get; init; } = [];

    public IReadOnlyList<string> Env { get; init; } = [];

    public string? User { get; init; }

    public string? WorkingDir { get; init; }
}
