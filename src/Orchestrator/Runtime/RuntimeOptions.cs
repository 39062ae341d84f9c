namespace Appliance.Orchestrator.Runtime;

/// <summary>Where the runc runtime keeps things. Two instances with equal options see the same containers.</summary>
public sealed record RuntimeOptions
{
    /// <summary>Bundles (config.json, hosts, resolv.conf), logs and exit files: STATE/containers/ID.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>Volatile things: the runc root (RUN/runc) and conmon's sockets (RUN/conmon). Keep it short: socket paths are limited to 108 bytes.</summary>
    public required string RunDirectory { get; init; }

    public string RuncPath { get; init; } = "/usr/sbin/runc";

    public string ConmonPath { get; init; } = "/usr/bin/conmon";

    /// <summary>How long runc/conmon may take to create a container before it counts as failed.</summary>
    public TimeSpan CreateTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Extra environment for conmon and runc (tests tag their processes with their prefix).</summary>
    public IReadOnlyDictionary<string, string> ToolEnvironment { get; init; } = new Dictionary<string, string>();

    public string RuncRoot => Path.Combine(RunDirectory, "runc");

    public string ContainersDirectory => Path.Combine(StateDirectory, "containers");

    public string SocketDirectory => Path.Combine(RunDirectory, "conmon");

    /// <summary>Where <c>runc exec</c> leaves the pid of the command it runs (volatile, and outside the containers dir that
    /// the daemon watches for logs and exits: a health check every second would otherwise wake both watches 2-3 times and
    /// write to the state disk).</summary>
    public string ExecDirectory => Path.Combine(RunDirectory, "exec");
}
