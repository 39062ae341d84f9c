namespace Appliance.Orchestrator.Runtime;

/// <summary>
/// Everything the runtime needs to create one container. Built by the engine from an image
/// config and a service definition (see <see cref="ProcessResolver"/>); paths are on the host.
/// </summary>
public sealed record ContainerSpec
{
    /// <summary>Runtime-wide unique id: letters, digits, '-', '_', '.'; at most 64 characters.</summary>
    public required string Id { get; init; }

    /// <summary>The container's root filesystem (an overlay mount or a plain directory).</summary>
    public required string RootfsPath { get; init; }

    /// <summary>What runs: argv, environment, user, working dir.</summary>
    public required ContainerProcess Process { get; init; }

    /// <summary>Hostname inside the container (the service name).</summary>
    public string? Hostname { get; init; }

    /// <summary>Network namespace to join, by path (e.g. /run/appliance/netns/x). Null: a fresh empty one.</summary>
    public string? NetworkNamespacePath { get; init; }

    /// <summary>Capabilities added to <see cref="Capabilities.Default"/>, with or without the CAP_ prefix.</summary>
    public IReadOnlyList<string> CapAdd { get; init; } = [];

    /// <summary>Capabilities removed from the default set.</summary>
    public IReadOnlyList<string> CapDrop { get; init; } = [];

    /// <summary>Volumes, bind mounts and tmpfs mounts, on top of /proc, /dev, /sys and friends.</summary>
    public IReadOnlyList<ContainerMount> Mounts { get; init; } = [];

    /// <summary>Lines of the container's /etc/hosts besides localhost.</summary>
    public IReadOnlyList<HostEntry> Hosts { get; init; } = [];

    /// <summary>Content of /etc/resolv.conf; null copies the host's.</summary>
    public string? ResolvConf { get; init; }

    public ResourceLimits Limits { get; init; } = new();

    /// <summary>How much of its output is kept (Compose's logging.options max-size and max-file).</summary>
    public LogLimits Logs { get; init; } = LogLimits.Default;

    /// <summary>Stored as OCI annotations; read back by <see cref="IContainerRuntime.InspectAsync"/> (e.g. stack and service names).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}

/// <summary>The container's main process.</summary>
public sealed record ContainerProcess
{
    public required IReadOnlyList<string> Args { get; init; }

    /// <summary>KEY=VALUE entries.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];

    /// <summary>"uid", "uid:gid", "name" or "name:group" (names looked up in the rootfs' /etc/passwd and /etc/group). Null: root.</summary>
    public string? User { get; init; }

    public string WorkingDir { get; init; } = "/";
}

/// <summary>How a <see cref="ContainerMount"/> is made.</summary>
public enum MountKind
{
    /// <summary>A host path (validated: exists, no '..', not a system directory).</summary>
    Bind,

    /// <summary>A named volume: a directory the engine keeps under its state dir.</summary>
    Volume,

    /// <summary>A tmpfs; Source is ignored.</summary>
    Tmpfs,
}

/// <summary>One mount into the container.</summary>
public sealed record ContainerMount(MountKind Kind, string Source, string Target, bool ReadOnly = false);

/// <summary>One /etc/hosts line: an address and its names.</summary>
public sealed record HostEntry(string Address, IReadOnlyList<string> Names);

/// <summary>cgroup limits; null means unlimited.</summary>
public sealed record ResourceLimits
{
    public long? MemoryBytes { get; init; }

    /// <summary>CPUs as in Compose's <c>cpus: 1.5</c>.</summary>
    public double? Cpus { get; init; }

    public long? Pids { get; init; }
}
