using System.CommandLine;
using Appliance.Web.Hosting;

namespace Appliance.Web.Cli;

/// <summary>`appliance stack stop|start|restart NAME [SERVICE]` and `appliance stack update NAME [--check]`: a user's stop or start through the daemon. A stop is remembered (restart
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
        yield return Update(socket);
    }

    /// <summary>`appliance stack update NAME [--check]`: pull the newer images of the stack's tags and deploy it again on them.</summary>
    private static Command Update(Option<string?> socket)
    {
        var name = new Argument<string>("name") { Description = "The stack." };
        var check = new Option<bool>("--check") { Description = "Only say which images the registry has newer; pull nothing, change nothing." };
        var command = new Command("update", "Pull newer images of the stack's tags and redeploy it on them (rolled back if it does not come up).") { name, check };
        command.SetAction((parse, ct) => CliRun.WithDaemonAsync(parse.GetValue(socket), async client =>
        {
            string path = $"api/daemon/stacks/{Uri.EscapeDataString(parse.GetValue(name)!)}/" + (parse.GetValue(check) ? "check-updates" : "update");
            OperationResponse result = await client.SendJsonAsync<OperationResponse>(HttpMethod.Post, path, null, ct);
            Console.WriteLine(result.Message);
            return result.Succeeded ? 0 : 1;
        }));
        return command;
    }
}
