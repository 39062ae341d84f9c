namespace Appliance.Orchestrator.Stacks.Definition;

/// <summary>One entry under <c>services:</c>, as written. Null means "not given".</summary>
public sealed record ServiceDefinition
{
    public required string Name { get; init; }

    public required SourceLocation Location { get; init; }

    public string? Image { get; init; }

    public IReadOnlyList<string>? Entrypoint { get; init; }

    public IReadOnlyList<string>? Command { get; init; }

    public IReadOnlyList<EnvironmentEntry> Environment { get; init; } = [];

    public IReadOnlyList<EnvFileReference> EnvFiles { get; init; } = [];

    public IReadOnlyList<PortDefinition> Ports { get; init; } = [];

    public IReadOnlyList<MountDefinition> Volumes { get; init; } = [];

    public IReadOnlyList<DependencyDefinition> DependsOn { get; init; } = [];

    public HealthcheckDefinition? Healthcheck { get; init; }

    public RestartPolicy? Restart { get; init; }

    public string? User { get; init; }

    public string? WorkingDir { get; init; }

    public string? Hostname { get; init; }

    public IReadOnlyList<string> CapAdd { get; init; } = [];

    public IReadOnlyList<string> CapDrop { get; init; } = [];

    public IReadOnlyList<string> GroupAdd { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> ExtraHosts { get; init; } = [];

    /// <summary>Networks the service joins, with its aliases on each (all map to the stack's one bridge).</summary>
    public IReadOnlyList<ServiceNetworkDefinition> Networks { get; init; } = [];

    public long? MemoryLimit { get; init; }

    public double? Cpus { get; init; }

    public long? PidsLimit { get; init; }

    public long? ShmSize { get; init; }

    public bool? ReadOnly { get; init; }

    public string? StopSignal { get; init; }

    public TimeSpan? StopGracePeriod { get; init; }

    /// <summary>logging.options.max-size: the size of one log file, in bytes.</summary>
    public long? LogMaxSize { get; init; }

    /// <summary>logging.options.max-file: how many log files are kept, the current one included.</summary>
    public long? LogMaxFiles { get; init; }

    public ServiceExtension? Appliance { get; init; }
}
