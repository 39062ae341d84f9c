namespace Appliance.Web.Hosting;

/// <summary>How `appliance serve` was started.</summary>
public sealed record DaemonOptions
{
    public const string DefaultStateDir = "/var/lib/appliance";
    public const string DefaultSocketPath = "/run/appliance/appliance.sock";

    /// <summary>SQLite database, images, volumes.</summary>
    public string StateDir { get; init; } = DefaultStateDir;

    /// <summary>TCP port of the web UI and the REST API; 0 means none (socket only).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>Address the TCP listener binds (all addresses by default).</summary>
    public string ListenAddress { get; init; } = "0.0.0.0";

    /// <summary>The root-only unix socket the CLI talks to (mode 0600, in a 0700 directory).</summary>
    public string SocketPath { get; init; } = DefaultSocketPath;

    /// <summary>A network namespace (nsfs path) the daemon serves and manages stacks in, instead of the machine's own.</summary>
    public string? NetworkNamespacePath { get; init; }

    /// <summary>
    /// `--firewall-backend`: auto (firewalld when it runs, else nftables), nftables, firewalld or none. The command
    /// line's default is auto; a daemon composed in code (tests) programs no firewall unless it asks for one.
    /// </summary>
    public string FirewallBackend { get; init; } = "none";

    /// <summary>Volatile state of the engine: runc root, conmon sockets, network namespaces.</summary>
    public string RunDir { get; init; } = "/run/appliance";

    /// <summary>"runc" (the engine: runc + conmon) or "none" (state, API and UI only; nothing can be deployed).</summary>
    public string Engine { get; init; } = "runc";

    /// <summary>Prefix of every container id the engine creates (empty by default; tests use their test prefix).</summary>
    public string ContainerPrefix { get; init; } = "";

    /// <summary>How long a deploy waits for every service to run and pass its health check before it rolls back.</summary>
    public TimeSpan DeployTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the reconcile loop compares desired and observed state.</summary>
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the state directory's free disk space is checked (an alert under 5 %).</summary>
    public TimeSpan DiskCheckInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How often <see cref="IdleMemoryTrim"/> looks whether a burst of work is over and memory can go back.</summary>
    public TimeSpan MemoryTrimInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// `--ui-idle-timeout`: how long the web UI's process (<see cref="UiProcess"/>) runs on after its last request or open page
    /// before the daemon stops it; the next request starts it again.
    /// </summary>
    public TimeSpan UiIdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Fault injection for the crash tests (<see cref="Hosting.TestCrashPoint"/>); null outside tests.</summary>
    public TestCrashPoint? TestCrashPoint { get; init; }

    public static readonly TimeSpan DefaultConfirmWindow = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan MinConfirmWindow = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan MaxConfirmWindow = TimeSpan.FromMinutes(10);

    /// <summary>
    /// `--confirm-window`: how long a firewall change that could cut someone off (a port's exposure, who may reach the
    /// admin UI or SSH) stays applied without its confirm before it rolls back by itself.
    /// </summary>
    public TimeSpan ConfirmWindow { get; init; } = DefaultConfirmWindow;

    /// <summary>When the process started (for the start-to-serving measurement).</summary>
    public DateTimeOffset StartedAt { get; init; } = DateTimeOffset.UtcNow;
}
