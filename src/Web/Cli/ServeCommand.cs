using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Appliance.Netfilter.Backends;
using Appliance.Orchestrator.State;
using Appliance.Web.Hosting;
using Appliance.Web.Ui;

namespace Appliance.Web.Cli;

/// <summary>`appliance serve`: the daemon (web UI, REST API, engine, scheduler).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var stateDir = new Option<string>("--state-dir") { Description = "Where Appliance keeps its state (SQLite, images, volumes).", DefaultValueFactory = _ => DaemonOptions.DefaultStateDir };
        var port = new Option<int>("--port") { Description = "Port of the web UI and API (0: none, unix socket only).", DefaultValueFactory = _ => 8080 };
        var listen = new Option<string>("--listen") { Description = "Address the web UI and API listen on.", DefaultValueFactory = _ => "0.0.0.0" };
        var socket = new Option<string>("--socket") { Description = "The root-only unix socket the CLI talks to.", DefaultValueFactory = _ => DaemonOptions.DefaultSocketPath };
        var runDir = new Option<string>("--run-dir") { Description = "Volatile engine state: runc root, conmon sockets, network namespaces.", DefaultValueFactory = _ => "/run/appliance" };
        var engine = new Option<string>("--engine") { Description = "runc (run containers) or none (state, API and UI only).", DefaultValueFactory = _ => "runc" };
        engine.AcceptOnlyFromAmong("runc", "none");
        var deployTimeout = new Option<int>("--deploy-timeout") { Description = "Seconds a deploy waits for its services to be up and healthy before it rolls back.", DefaultValueFactory = _ => 300 };
        var reconcileInterval = new Option<int>("--reconcile-interval")
        {
            Description = "Seconds between the checks of observed against desired state (exited containers are restarted by their restart policy at the latest then).",
            DefaultValueFactory = _ => (int)new DaemonOptions().ReconcileInterval.TotalSeconds,
        };
        var diskCheckInterval = new Option<int>("--disk-check-interval")
        {
            Description = "Seconds between checks of the state directory's free disk space (an alert under 5 % free).",
            DefaultValueFactory = _ => (int)new DaemonOptions().DiskCheckInterval.TotalSeconds,
        };
        var uiIdleTimeout = new Option<int>("--ui-idle-timeout")
        {
            Description = "Seconds the web UI's process runs on after its last request or open page; the next request starts it again.",
            DefaultValueFactory = _ => (int)new DaemonOptions().UiIdleTimeout.TotalSeconds,
        };
        var containerPrefix = new Option<string>("--container-prefix") { Description = "Prefix of the ids of the containers the engine creates.", DefaultValueFactory = _ => "" };
        var netns = new Option<string?>("--netns") { Description = "Serve and manage stacks in this network namespace (nsfs path, e.g. /run/netns/nas) instead of the machine's own." };
        Option<string> firewallBackend = FirewallBackendOption();
        Option<int> confirmWindow = ConfirmWindowOption();
        var command = new Command("serve", "Run the Appliance daemon: web UI, REST API, engine and scheduler.") { stateDir, port, listen, socket, netns, runDir, engine, containerPrefix, deployTimeout, reconcileInterval, diskCheckInterval, uiIdleTimeout, firewallBackend, confirmWindow };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!IPAddress.TryParse(parse.GetValue(listen), out IPAddress? address))
            {
                Console.Error.WriteLine($"appliance serve: --listen '{parse.GetValue(listen)}' is not an IP address; use e.g. 0.0.0.0 or 127.0.0.1");
                return 2;
            }
            if (Environment.GetEnvironmentVariable("APPLIANCE_TEST_PREFIX") is { } test && parse.GetValue(netns) is null
                && parse.GetValue(firewallBackend) != FirewallBackends.None)
            {
                // Tests never touch the firewall of the machine's own network namespace.
                Console.Error.WriteLine($"appliance serve: started by test {test} without --netns: refusing to program the machine's own firewall; " +
                    "pass --netns PATH (the test box's nas) or --firewall-backend none");
                return 2;
            }
            var options = new DaemonOptions
            {
                StateDir = Path.GetFullPath(parse.GetValue(stateDir)!),
                Port = parse.GetValue(port),
                ListenAddress = address.ToString(),
                SocketPath = Path.GetFullPath(parse.GetValue(socket)!),
                NetworkNamespacePath = parse.GetValue(netns),
                RunDir = Path.GetFullPath(parse.GetValue(runDir)!),
                Engine = parse.GetValue(engine)!,
                ContainerPrefix = parse.GetValue(containerPrefix)!,
                DeployTimeout = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(deployTimeout))),
                ReconcileInterval = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(reconcileInterval))),
                DiskCheckInterval = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(diskCheckInterval))),
                UiIdleTimeout = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(uiIdleTimeout))),
                FirewallBackend = parse.GetValue(firewallBackend)!,
                TestCrashPoint = TestCrashPoint.FromEnvironment(),
                ConfirmWindow = TimeSpan.FromSeconds(parse.GetValue(confirmWindow)),
                StartedAt = new DateTimeOffset(Process.GetCurrentProcess().StartTime.ToUniversalTime(), TimeSpan.Zero),
            };
            if (options.Engine == "runc" && !(File.Exists("/usr/sbin/runc") && File.Exists("/usr/bin/conmon")))
            {
                Console.Error.WriteLine("appliance serve: runc or conmon is not installed (apt-get install runc conmon); serving without the engine: nothing can be deployed");
                options = options with { Engine = "none" };
            }
            try
            {
                return await RunAsync(options, cancellationToken);
            }
            catch (Exception e) when (e is DaemonStartException or StateException)
            {
                Console.Error.WriteLine($"appliance serve: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static string FormatHost(string address) => address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address;

    private static async Task<int> RunAsync(DaemonOptions options, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.StateDir);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(options.StateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        using StateDirectoryLock stateLock = StateDirectoryLock.Acquire(options.StateDir);
        UnixSocketListener.Prepare(options.SocketPath);
        Socket? namespacedListener = options.Port > 0 && options.NetworkNamespacePath is { } ns
            ? await NamespacedTcpListener.OpenAsync(ns, IPAddress.Parse(options.ListenAddress), options.Port, cancellationToken)
            : null;

        // The daemon is configured by its command line; the appsettings.json the builder looks for beside the program is read
        // once, not watched for the daemon's whole life (0.7 MB less resident with --engine none, where nothing else watches files).
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        DaemonLog.Quiet(builder.Logging);
        // The web UI keeps its users, tokens and certificate in the same state dir. It serves HTTPS itself (UiOptions.HttpsPort)
        // on the addresses in Appliance:HttpUrls; with --netns or --port 0 the daemon opens the listeners and serves plain HTTP only.
        builder.Configuration["Appliance:StateDir"] = options.StateDir;
        if (namespacedListener is not null || options.Port == 0)
        {
            builder.Configuration["Appliance:HttpsPort"] = "0";
        }
        if (options.Port > 0)
        {
            // Read by KestrelSetup, which opens these listeners itself (with HTTPS beside them): as "urls" they would make
            // Kestrel warn at every start that it overrides them.
            builder.Configuration[KestrelSetup.HttpUrlsKey] = $"http://{FormatHost(options.ListenAddress)}:{options.Port}";
        }
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            kestrel.ListenUnixSocket(options.SocketPath);
            int httpsPort = int.TryParse(context.Configuration["Appliance:HttpsPort"], out int configured) ? configured : 8443;
            if (namespacedListener is not null)
            {
                kestrel.ListenHandle((ulong)namespacedListener.SafeHandle.DangerousGetHandle());
            }
            else if (options.Port > 0 && httpsPort <= 0)
            {
                kestrel.Listen(IPAddress.Parse(options.ListenAddress), options.Port);
            }
        });
        builder.Services.AddApplianceDaemon(options);
        builder.Services.AddApplianceUiCore().AddApplianceUiListeners();
        WebApplication app = builder.Build();
        _ = app.Services.GetRequiredService<IStateStore>();

        // The daemon answers the CLI and the web UI's process (its API over the unix socket) and /api/health itself; every other
        // request goes to the web UI, a process of its own, started when the first one comes and stopped when idle.
        var ui = new UiProcess(UiProcess.FindProgram(), Path.Combine(Path.GetDirectoryName(options.SocketPath)!, "appliance-ui.sock"),
            options, app.Configuration.GetSection("Appliance").AsEnumerable(), TimeProvider.System,
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Appliance.WebUi"));
        using var proxy = new UiProxy(ui, app.Services.GetRequiredService<ILoggerFactory>());
        app.Use((context, next) => UnixSocketIdentity.IsUnixSocket(context) || context.Request.Path == DaemonApi.HealthPath ? next(context) : proxy.HandleAsync(context));
        app.UseUnixSocketIdentity();
        app.UseRouting();
        app.MapDaemonApi();
        app.MapUiBridge();
        app.UseEndpoints(_ => { });
        // Over the socket, what no daemon endpoint matched is the UI's REST API (/api/stacks...), as root; an unknown
        // /api/daemon path is the daemon's to refuse (the UI would forward it back here).
        app.Run(context => context.Request.Path.StartsWithSegments("/api/daemon")
            ? JsonBody.Result(new ErrorResponse($"no such endpoint: {context.Request.Method} {context.Request.Path}"), StatusCodes.Status404NotFound).ExecuteAsync(context)
            : proxy.HandleAsync(context));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            throw new DaemonStartException($"cannot listen: {e.Message}; is another daemon or program using port {options.Port} or '{options.SocketPath}'?", e);
        }
        UnixSocketListener.Secure(options.SocketPath);
        long startMs = (long)(DateTimeOffset.UtcNow - options.StartedAt).TotalMilliseconds;
        DaemonLog.Serving(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Appliance.Daemon"), options.StateDir, options.SocketPath, options.Port, startMs);
        try
        {
            await app.WaitForShutdownAsync(cancellationToken);
        }
        finally
        {
            await ui.DisposeAsync();
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync(); // also closes the state store (a singleton)
            File.Delete(options.SocketPath);
        }
        return 0;
    }

    /// <summary>`--firewall-backend auto|nftables|firewalld|none`; an unknown name is a parse error listing the valid ones.</summary>
    internal static Option<string> FirewallBackendOption()
    {
        var option = new Option<string>("--firewall-backend")
        {
            Description = "Firewall to program: auto (firewalld when it runs, else nftables), nftables, firewalld or none.",
            DefaultValueFactory = _ => FirewallBackends.Auto,
        };
        option.AcceptOnlyFromAmong([.. FirewallBackends.Choices]);
        return option;
    }

    /// <summary>`--confirm-window SECONDS`: how long a firewall change that could lock the owner out waits for its confirm.</summary>
    internal static Option<int> ConfirmWindowOption()
    {
        var option = new Option<int>("--confirm-window")
        {
            Description = "Seconds a firewall change (a port's exposure, who may reach the admin UI or SSH) waits for its confirm before it " +
                $"rolls back by itself ({DaemonOptions.MinConfirmWindow.TotalSeconds:0} to {DaemonOptions.MaxConfirmWindow.TotalSeconds:0}).",
            DefaultValueFactory = _ => (int)DaemonOptions.DefaultConfirmWindow.TotalSeconds,
        };
        option.Validators.Add(result =>
        {
            int seconds = result.GetValueOrDefault<int>();
            if (seconds < DaemonOptions.MinConfirmWindow.TotalSeconds || seconds > DaemonOptions.MaxConfirmWindow.TotalSeconds)
            {
                result.AddError($"--confirm-window {seconds}: must be between {DaemonOptions.MinConfirmWindow.TotalSeconds:0} and " +
                    $"{DaemonOptions.MaxConfirmWindow.TotalSeconds:0} seconds: long enough to find the Confirm button, short enough " +
                    $"that a change which locked you out comes back soon (default {DaemonOptions.DefaultConfirmWindow.TotalSeconds:0})");
            }
        });
        return option;
    }
}
