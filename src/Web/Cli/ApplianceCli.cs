using System.CommandLine;
using System.Reflection;

namespace Appliance.Web.Cli;

/// <summary>The `appliance` command line: the daemon (`serve`) and the verbs that talk to it.</summary>
public static class ApplianceCli
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("Appliance: one-click stacks on runc, with the firewall kept right.");
        root.Options.Add(Socket);
        foreach (Command command in Commands())
        {
            root.Subcommands.Add(command);
        }
        return await root.Parse(args).InvokeAsync(cancellationToken: cancellationToken);
    }

    private static IEnumerable<Command> Commands()
    {
        var version = new Command("version", "Print the version of Appliance.");
        version.SetAction(_ =>
        {
            Console.WriteLine($"appliance {typeof(ApplianceCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev"}");
            return 0;
        });
        yield return version;
        yield return ServeCommand.Create();
        yield return UiCommand.Create(Socket);
        yield return EventsCommand.Create(Socket);
        Command stack = StackCommand.Create(Socket);
        foreach (Command verb in StackListCommand.Create(Socket).Concat(StackControlCommand.Create(Socket)))
        {
            stack.Subcommands.Add(verb);
        }
        yield return stack;
        yield return ImageCommand.Create();
        yield return FirewallCommand.Create(Socket);
    }

    /// <summary>The daemon's unix socket, for every verb that talks to it (default /run/appliance/appliance.sock, or APPLIANCE_SOCKET).</summary>
    private static readonly Option<string?> Socket = new("--daemon-socket")
    {
        Description = "The daemon's unix socket (default /run/appliance/appliance.sock, or $APPLIANCE_SOCKET).",
        Recursive = true,
    };
}
