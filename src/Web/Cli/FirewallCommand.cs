using System.CommandLine;
using Appliance.Netfilter.Errors;
using Appliance.Netfilter.Inspection;
using Appliance.Netfilter.Intent;
using Appliance.Netfilter.Linux;
using Appliance.Netfilter.Nftables;

namespace Appliance.Web.Cli;

/// <summary>`appliance fw ...`: the firewall verbs (explain a flow, list foreign blockers).</summary>
internal static class FirewallCommand
{
    public static Command Create(Option<string?> socket)
    {
        var fw = new Command("fw", "Firewall: explain a flow, find other firewalls that drop Appliance's traffic.");
        fw.Subcommands.Add(Explain(socket));
        fw.Subcommands.Add(Foreign());
        return fw;
    }

    private static Option<string?> NetnsOption() => new("--netns")
    {
        Description = "Network namespace to read (a name under /run/netns or a path); default: this machine's.",
    };

    private static Option<string> TableOption() => new("--table")
    {
        Description = "Appliance's table (family inet).",
        DefaultValueFactory = _ => FirewallIntent.DefaultTableName,
    };

    private static NftablesBackend Backend(string? netns, string table) => new(new NftablesBackendOptions
    {
        Namespace = netns is null ? NetworkNamespace.Current : netns.Contains('/') ? new NetworkNamespace(netns) : NetworkNamespace.Named(netns),
        TableName = table,
        DriftPollInterval = TimeSpan.Zero,
    });

    private static Command Explain(Option<string?> socket)
    {
        var from = new Option<string>("--from") { Description = "Source address, e.g. 192.168.50.10.", Required = true };
        var to = new Option<string>("--to") { Description = "Destination IP:PORT[/tcp|udp], e.g. 192.168.50.1:10080/tcp.", Required = true };
        Option<string?> netns = NetnsOption();
        Option<string> table = TableOption();
        var local = new Option<bool>("--local")
        {
            Description = "Read this machine's nftables ruleset directly instead of asking the daemon (implied by --netns or --table).",
        };
        var command = new Command("explain", "Say whether a new connection passes, and which rule of which table (or, under firewalld, which "
            + "zone or policy) decides, from the live ruleset. Asks the running daemon when there is one.")
        {
            from, to, netns, table, local,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            bool readLocally = parse.GetValue(local) || parse.GetResult(netns) is { Implicit: false } || parse.GetResult(table) is { Implicit: false };
            var client = new DaemonClient(parse.GetValue(socket));
            if (!readLocally && File.Exists(client.SocketPath))
            {
                // The daemon knows its backend: under firewalld it asks firewalld which zone or policy decides.
                return await ExplainByDaemonAsync(client, parse.GetValue(from)!, parse.GetValue(to)!, cancellationToken);
            }
            client.Dispose();
            FlowQuery flow;
            try
            {
                flow = FlowQuery.Parse(parse.GetValue(from)!, parse.GetValue(to)!);
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"appliance fw explain: {e.Message}");
                return 2;
            }
            try
            {
                await using NftablesBackend backend = Backend(parse.GetValue(netns), parse.GetValue(table)!);
                FlowExplanation explanation = await backend.ExplainAsync(flow, cancellationToken);
                Console.WriteLine(explanation);
                return explanation.Passes ? 0 : 1;
            }
            catch (Exception e) when (e is FirewallException or NamespaceException)
            {
                Console.Error.WriteLine($"appliance fw explain: {e.Message}");
                return 3;
            }
        });
        return command;
    }

    private static async Task<int> ExplainByDaemonAsync(DaemonClient daemon, string from, string to, CancellationToken cancellationToken)
    {
        using DaemonClient client = daemon;
        FlowQuery flow;
        try
        {
            flow = FlowQuery.Parse(from, to);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"appliance fw explain: {e.Message}");
            return 2;
        }
        var query = new Ui.Backend.FlowQuery(flow.From.ToString(), flow.To.ToString(), flow.Protocol == TransportProtocol.Udp ? "udp" : "tcp", flow.Port);
        try
        {
            Ui.Backend.FlowExplanation answer = await client.SendJsonAsync<Ui.Backend.FlowExplanation>(HttpMethod.Post, "api/daemon/firewall/explain", query, cancellationToken);
            Console.WriteLine($"{(answer.Passes ? "PASSES" : "DROPPED")}: {answer.Verdict}");
            foreach (string step in answer.Steps)
            {
                Console.WriteLine($"  {step}");
            }
            return answer.Passes ? 0 : 1;
        }
        catch (DaemonClientException e)
        {
            Console.Error.WriteLine($"appliance fw explain: {e.Message} (--local reads this machine's nftables ruleset without the daemon)");
            return 3;
        }
    }

    private static Command Foreign()
    {
        Option<string?> netns = NetnsOption();
        Option<string> table = TableOption();
        var command = new Command("foreign", "List other tables' input/forward chains that would drop Appliance's traffic, with the fix.") { netns, table };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                await using NftablesBackend backend = Backend(parse.GetValue(netns), parse.GetValue(table)!);
                IReadOnlyList<ForeignBlocker> blockers = await backend.FindForeignBlockersAsync(cancellationToken);
                foreach (ForeignBlocker blocker in blockers)
                {
                    Console.WriteLine(blocker);
                }
                if (blockers.Count == 0)
                {
                    Console.WriteLine("No other firewall drops Appliance's traffic.");
                }
                return blockers.Count == 0 ? 0 : 1;
            }
            catch (Exception e) when (e is FirewallException or NamespaceException)
            {
                Console.Error.WriteLine($"appliance fw foreign: {e.Message}");
                return 3;
            }
        });
        return command;
    }
}
