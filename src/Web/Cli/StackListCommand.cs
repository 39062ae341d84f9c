using System.CommandLine;
using Appliance.Web.Hosting;

namespace Appliance.Web.Cli;

/// <summary>`appliance stack ls` and `appliance stack history NAME`: the stacks as deployed, from the daemon.</summary>
internal static class StackListCommand
{
    public static IEnumerable<Command> Create(Option<string?> socket)
    {
        var ls = new Command("ls", "List the deployed stacks and their services.");
        ls.SetAction((parse, ct) => CliRun.WithDaemonAsync(parse.GetValue(socket), async client =>
        {
            StackSummary[] stacks = await client.GetAsync<StackSummary[]>("api/daemon/stacks", ct);
            if (stacks.Length == 0)
            {
                Console.WriteLine("no stacks deployed");
                return 0;
            }
            Console.WriteLine($"{"NAME",-20} {"VERSION",7} {"DESIRED",-8} SERVICES");
            foreach (StackSummary s in stacks)
            {
                string services = s.Services.Count == 0 ? "-" : string.Join(", ", s.Services.Select(v => $"{v.Name}:{v.State}"));
                Console.WriteLine($"{s.Name,-20} {s.Version,7} {s.DesiredState,-8} {services}");
            }
            return 0;
        }));
        yield return ls;

        var name = new Argument<string>("name") { Description = "The stack." };
        var history = new Command("history", "Show a stack's deployments (for rollback and audit).") { name };
        history.SetAction((parse, ct) => CliRun.WithDaemonAsync(parse.GetValue(socket), async client =>
        {
            foreach (DeploymentSummary d in await client.GetAsync<DeploymentSummary[]>($"api/daemon/stacks/{Uri.EscapeDataString(parse.GetValue(name)!)}/deployments", ct))
            {
                Console.WriteLine($"v{d.Version,-4} {d.Status,-12} {d.CreatedAt:yyyy-MM-dd HH:mm:ss}{(d.Error is null ? "" : "  " + d.Error)}");
            }
            return 0;
        }));
        yield return history;
    }
}
