namespace Appliance.Orchestrator.Stacks.Resolved;

/// <summary>One service as the engine runs it.</summary>
public sealed record ResolvedService
{
    public required string Name { get; init; }

    public required string Image { get; init; }

    /// <summary>Null: the image's entrypoint. Empty: none.</summary>
    public IReadOnlyList<string>? Entrypoint { get; init; }

    /// <summary>Null: the image's command.</summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>env_file entries first (in order), then <c>environment</c>; later wins; in first-seen order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment { get; init; } = [];

    /// <summary>One entry per published host port (ranges expanded).</summary>
    public IReadOnlyList<PublishedPort> Ports { get; init; } = [];

    public IReadOnlyList<ResolvedMount> Mounts { get; init; } = [];

    public IReadOnlyList<ResolvedDependency> DependsOn { get; init; } = [];

    /// <summary>Null: none written (the image's HEALTHCHECK applies if it has one).</summary>
    public ResolvedHealthcheck? Healthcheck { get; init; }

    public RestartPolicy Restart { get; init; } = RestartPolicy.No;

    public string? User { get; init; }

    public string? WorkingDir { get; init; }

    /// <summary>Container host name; defaults to the service name.</summary>
    public required string Hostname { get; init; }

    /// <summary>Names this service answers to on the stack bridge: its name, then its network aliases.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>Capability names without the CAP_ prefix, upper case.</summary>
    public IReadOnlyList<string> CapAdd { get; init; } = [];

    public IReadOnlyList<string> CapDrop { get; init; } = [];

    public IReadOnlyList<string> GroupAdd { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; init; } = [];

    /// <summary>Extra /etc/hosts lines (host name, address); the address may be <c>host-gateway</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ExtraHosts { get; init; } = [];

    public ResourceLimits Limits { get; init; } = ResourceLimits.None;

    public long? ShmSizeBytes { get; init; }

    public bool ReadOnlyRootFilesystem { get; init; }

    public string StopSignal { get; init; } = "SIGTERM";

    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The size of one log file (logging.options.max-size); 10 MiB unless the stack file says.</summary>
    public long LogMaxSizeBytes { get; init; } = DefaultLogMaxSizeBytes;

    /// <summary>How many log files are kept, the current one included (logging.options.max-file); 3 unless the stack file says.</summary>
    public int LogMaxFiles { get; init; } = DefaultLogMaxFiles;

    public const long DefaultLogMaxSizeBytes = 10L * 1024 * 1024;

    public const int DefaultLogMaxFiles = 3;

    public required AutohealPolicy Autoheal { get; init; }
}
