using System.CommandLine;
using Appliance.Web.Hosting;

namespace Appliance.Web.Cli;

/// <summary>`appliance stack stop|start|restart NAME [SERVICE]`: a user's stop or start through the daemon. A stop is remembered (restart
/// policies, autoheal and reconcile leave it down, also across daemon restarts) until a start; see docs/stack-format.md.</summary>
internal static class StackControlCommand
{
    public static IEnumerable<Command> Create(Option<string?> socket)
    {
        foreach ((string verb, string description) in new[]
        {
            ("stop", "Stop a stack, or one of its services, and keep it stopped until you start it (containers are kept)."),
            ("start", "Start a stopped stack, or one of its services."),
            ("restart", "Restart a stack, or one of its services (a stopped one is started, and its stop forgotten)."),
        })
        {
            var name = new Argument<string>("name") { Description = "The stack." };
            var service = new Argument<string?>("service") { Description = "One service of the stack; the whole stack when left out.", Arity = ArgumentArity.ZeroOrOne };
            var command = new Command(verb, description) { name, service };
            command.SetAction((parse, ct) => CliRun.WithDaemonAsync(parse.GetValue(socket), async client =>
            {
                string path = $"api/daemon/stacks/{Uri.EscapeDataString(parse.GetValue(name)!)}"
                    + (parse.GetValue(service) is { } one ? $"/services/{Uri.EscapeDataString(one)}" : "") + "/" + verb;
                OperationResponse result = await client.SendJsonAsync<OperationResponse>(HttpMethod.Post, path, null, ct);
                Console.WriteLine(result.Message);
                return result.Succeeded ? 0 : 1;
            }));
            yield return command;
        }
    }
}
