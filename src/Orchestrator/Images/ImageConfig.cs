namespace Appliance.Orchestrator.Images;

/// <summary>What an image says about how to run it (the "config" of the OCI image config).</summary>
public sealed record ImageConfig
{
    public IReadOnlyList<string> Entrypoint { get; init; } = [];

    public IReadOnlyList<string> Cmd { get; init; } = [];

    /// <summary>"KEY=value" entries, in image order.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];

    /// <summary>"", "999", "999:999", "postgres" — as the image wrote it.</summary>
    public string User { get; init; } = "";

    /// <summary>"/" when the image sets none.</summary>
    public string WorkingDir { get; init; } = "/";

    /// <summary>"80/tcp", "53/udp".</summary>
    public IReadOnlyList<string> ExposedPorts { get; init; } = [];

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public string? StopSignal { get; init; }

    public string Os { get; init; } = "linux";

    public string Architecture { get; init; } = "";
}
