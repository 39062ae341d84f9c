using System.CommandLine;
using Appliance.Netfilter.Linux;
using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Images;
using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Runtime;
using Appliance.Orchestrator.Stacks;
using Appliance.Web.Hosting;

namespace Appliance.Web.Cli;

/// <summary>
/// `appliance stack up|down|ps|logs`. When the daemon runs (its socket exists) `up` and `down` go through it, so the stack is
/// the daemon's: deployed as a plan, health-checked, restarted, in the firewall, and not removed as an orphan by its reconcile
/// pass. Without a daemon, or with --state-dir, --run-dir or --host-netns, they run the engine in this process.
/// Containers outlive the command: conmon monitors them.
/// </summary>
internal static class StackEngineCommands
{
    private static readonly Option<string> StateDir = new("--state-dir")
    {
        Description = "Where Appliance keeps its state (images, volumes, container bundles).",
        DefaultValueFactory = _ => "/var/lib/appliance",
        Recursive = true,
    };

    private static readonly Option<string> RunDir = new("--run-dir")
    {
        Description = "Volatile state: runc root, conmon sockets, network namespaces.",
        DefaultValueFactory = _ => "/run/appliance",
        Recursive = true,
    };

    private static readonly Option<string?> HostNetns = new("--host-netns")
    {
        Description = "Network namespace (path) for bridges and host veth ends; default: this process's own.",
        Recursive = true,
    };

    public static void AddTo(Command stack, Option<string?> socket)
    {
        stack.Options.Add(StateDir);
        stack.Options.Add(RunDir);
        stack.Options.Add(HostNetns);
        stack.Subcommands.Add(Up(socket));
        stack.Subcommands.Add(Down(socket));
        stack.Subcommands.Add(Ps());
        stack.Subcommands.Add(Logs());
    }

    private sealed class Session(StackEngine engine, ImageStore images, NetworkManager network) : IDisposable
    {
        public StackEngine Engine { get; } = engine;

        public void Dispose()
        {
            images.Dispose();
            network.Dispose();
        }
    }

    private static Session Open(ParseResult parse)
    {
        string state = parse.GetValue(StateDir)!;
        string run = parse.GetValue(RunDir)!;
        string? netns = parse.GetValue(HostNetns);
        NetworkNamespace host = netns is null ? NetworkNamespace.Current : new NetworkNamespace(netns);
        var images = new ImageStore(new ImageStoreOptions
        {
            Root = Path.Combine(state, "images"),
            Credentials = new RegistryCredentialStore(Path.Combine(state, "registries.json")),
        });
        var network = new NetworkManager(host);
        var runtime = new RuncRuntime(new RuntimeOptions { StateDirectory = state, RunDirectory = run });
        var engine = new StackEngine(new EngineOptions { StateDirectory = state, RunDirectory = run, HostNamespace = host }, runtime, images, network);
        return new Session(engine, images, network);
    }

    /// <summary>The daemon to go through, or null: none runs, or an option points the engine somewhere of its own.</summary>
    private static DaemonClient? Daemon(ParseResult parse, Option<string?> socket)
    {
        if (parse.GetResult(StateDir) is { Implicit: false } || parse.GetResult(RunDir) is { Implicit: false } || parse.GetResult(HostNetns) is { Implicit: false })
        {
            return null;
        }
        var client = new DaemonClient(parse.GetValue(socket));
        if (File.Exists(client.SocketPath))
        {
            return client;
        }
        client.Dispose();
        return null;
    }

    private sealed class ConsoleProgress : IProgress<EngineEvent>
    {
        public void Report(EngineEvent value) => (value.Failed ? Console.Error : Console.Out).WriteLine(value.ToString());
    }

    private static Command Up(Option<string?> socket)
    {
        var file = new Argument<string>("FILE") { Description = "The stack file (stack.yaml or docker-compose.yml)." };
        var variables = new Option<string[]>("--var") { Description = "Set a ${VARIABLE} of the stack file: --var KEY=VALUE (repeatable).", AllowMultipleArgumentsPerToken = false };
        var command = new Command("up", "Create and start a stack: images, network, containers in dependency order. A failure rolls back what was created.") { file, variables };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var vars = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string entry in parse.GetValue(variables) ?? [])
            {
                int eq = entry.IndexOf('=');
                if (eq <= 0)
                {
                    Console.Error.WriteLine($"appliance stack up: --var '{entry}' is not KEY=VALUE");
                    return 2;
                }
                vars[entry[..eq]] = entry[(eq + 1)..];
            }
            StackLoadResult loaded = StackLoader.Load(parse.GetValue(file)!, vars);
            foreach (StackDiagnostic diagnostic in loaded.Diagnostics)
            {
                Console.Error.WriteLine(diagnostic.ToString());
            }
            if (loaded.HasErrors || loaded.Stack is null)
            {
                return 1;
            }
            if (Daemon(parse, socket) is { } daemon)
            {
                return await UpThroughDaemonAsync(daemon, parse.GetValue(file)!, loaded, vars, cancellationToken);
            }
            Console.Error.WriteLine("appliance stack up: no daemon runs here, so this stack is made by this command alone: no health checks, "
                + "restarts or firewall rules, and a daemon started later removes it as not its own. Start the daemon first "
                + "(`systemctl start appliance`) to have it managed.");
            using Session session = Open(parse);
            try
            {
                await session.Engine.UpAsync(loaded.Stack, new ConsoleProgress(), cancellationToken);
                return 0;
            }
            catch (EngineException e)
            {
                Console.Error.WriteLine($"appliance stack up: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>The file's text and variables to the daemon (PUT api/daemon/stacks/NAME), which deploys it as a plan.</summary>
    private static async Task<int> UpThroughDaemonAsync(DaemonClient daemon, string file, StackLoadResult loaded, Dictionary<string, string> vars,
        CancellationToken cancellationToken)
    {
        // The daemon reads the file as if it lived in its own state (STATE/stacks/NAME/): an env_file next to this file is not there.
        if (loaded.Definition?.Services.SelectMany(s => s.EnvFiles).FirstOrDefault(e => !Path.IsPathRooted(e.Path)) is { } envFile)
        {
            daemon.Dispose();
            Console.Error.WriteLine($"appliance stack up: env_file '{envFile.Path}' is relative to {file}, which the daemon does not read; "
                + "give it as an absolute path, or move its variables under environment:");
            return 1;
        }
        string name = loaded.Stack!.Name;
        Console.WriteLine($"deploying '{name}' through the daemon ({daemon.SocketPath}); it returns when the stack is up and healthy, or rolled back");
        return await CliRun.WithDaemonAsync(daemon, async client =>
        {
            OperationResponse result = await client.SendJsonAsync<OperationResponse>(HttpMethod.Put, $"api/daemon/stacks/{Uri.EscapeDataString(name)}",
                new DeployRequest(await File.ReadAllTextAsync(file, cancellationToken), vars), cancellationToken);
            Console.WriteLine(result.Message);
            return result.Succeeded ? 0 : 1;
        });
    }

    private static Command Down(Option<string?> socket)
    {
        var name = new Argument<string>("NAME") { Description = "The stack's name." };
        var volumes = new Option<bool>("--volumes") { Description = "Also delete the stack's named volumes (their data is lost)." };
        var command = new Command("down", "Stop and remove a stack's containers and network (volumes stay unless --volumes).") { name, volumes };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (Daemon(parse, socket) is { } daemon)
            {
                return await CliRun.WithDaemonAsync(daemon, async client =>
                {
                    string path = $"api/daemon/stacks/{Uri.EscapeDataString(parse.GetValue(name)!)}" + (parse.GetValue(volumes) ? "?volumes=true" : "");
                    OperationResponse removed = await client.SendJsonAsync<OperationResponse>(HttpMethod.Delete, path, null, cancellationToken);
                    Console.WriteLine(removed.Message);
                    return removed.Succeeded ? 0 : 1;
                });
            }
            using Session session = Open(parse);
            try
            {
                await session.Engine.DownAsync(parse.GetValue(name)!, parse.GetValue(volumes), new ConsoleProgress(), cancellationToken: cancellationToken);
                return 0;
            }
            catch (EngineException e)
            {
                Console.Error.WriteLine($"appliance stack down: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static Command Ps()
    {
        var name = new Argument<string?>("NAME") { Description = "Only this stack.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("ps", "List the services of deployed stacks with their container state and address.") { name };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using Session session = Open(parse);
            try
            {
                IReadOnlyList<ServiceStatus> rows = await session.Engine.PsAsync(parse.GetValue(name), cancellationToken);
                Console.WriteLine($"{"STACK",-20} {"SERVICE",-16} {"STATE",-10} {"ADDRESS",-15} IMAGE");
                foreach (ServiceStatus row in rows)
                {
                    string state = row.Status == ContainerStatus.Stopped && row.ExitCode is int code ? $"exited({code})" : row.Status.ToString().ToLowerInvariant();
                    Console.WriteLine($"{row.Stack,-20} {row.Service,-16} {state,-10} {row.Address,-15} {row.Image}");
                }
                return 0;
            }
            catch (EngineException e)
            {
                Console.Error.WriteLine($"appliance stack ps: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static Command Logs()
    {
        var name = new Argument<string>("NAME") { Description = "The stack's name." };
        var service = new Argument<string>("SERVICE") { Description = "The service." };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines until the container stops (or Ctrl-C)." };
        var tail = new Option<int?>("--tail", "-n") { Description = "Only the last N lines (then new ones with --follow)." };
        var command = new Command("logs", "Print a service's output (stdout and stderr, as conmon recorded it; rotated files included).") { name, service, follow, tail };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using Session session = Open(parse);
            try
            {
                await foreach (LogLine line in session.Engine.LogsAsync(parse.GetValue(name)!, parse.GetValue(service)!, parse.GetValue(follow), parse.GetValue(tail), cancellationToken))
                {
                    (line.Stream == LogStream.Stderr ? Console.Error : Console.Out).WriteLine(line.Text);
                }
                return 0;
            }
            catch (OperationCanceledException)
            {
                return 0;
            }
            catch (Exception e) when (e is EngineException or RuntimeException)
            {
                Console.Error.WriteLine($"appliance stack logs: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
