using Appliance.Netfilter.Linux;

namespace Appliance.Orchestrator.Engine;

/// <summary>Where the engine keeps its things and which host namespace its bridges live in.</summary>
public sealed record EngineOptions
{
    /// <summary>STATE/volumes/NAME/_data, STATE/rootfs/ID (overlay upper dirs), STATE/engine (stack records, IPAM).</summary>
    public required string StateDirectory { get; init; }

    /// <summary>RUN/netns/ID: the containers' network namespaces.</summary>
    public required string RunDirectory { get; init; }

    /// <summary>Where bridges and host veth ends go (the machine's own namespace; in tests the box's nas).</summary>
    public NetworkNamespace HostNamespace { get; init; } = NetworkNamespace.Current;

    /// <summary>Put before every container id (tests use their prefix so teardown and the leak guard find them).</summary>
    public string ContainerIdPrefix { get; init; } = "";

    /// <summary>Longest wait for a depends_on condition (healthy, completed) before `up` fails.</summary>
    public TimeSpan DependencyTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often a dependency's health check is tried while a dependent waits on it (at most its interval).</summary>
    public TimeSpan DependencyProbeInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Runs after each step of `up` succeeded: (stack, service or null, step); <see cref="EngineStep.StackUp"/> once every service
    /// has started. Fault-injection tests kill the daemon here (see the daemon's test crash point).</summary>
    public Action<string, string?, EngineStep>? AfterStep { get; init; }

    internal string VolumesDirectory => Path.Combine(StateDirectory, "volumes");

    internal string RootfsDirectory => Path.Combine(StateDirectory, "rootfs");

    internal string EngineDirectory => Path.Combine(StateDirectory, "engine");

    internal string NetnsDirectory => Path.Combine(RunDirectory, "netns");
}
