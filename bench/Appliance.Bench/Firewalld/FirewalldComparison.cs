using System.Diagnostics;
using System.Net;
using Appliance.Netfilter.Firewalld;
using Appliance.Netfilter.Intent;
using Appliance.TestSupport;
using Appliance.TestSupport.Firewalld;

namespace Appliance.Bench.Firewalld;

/// <summary>
/// Putting N stacks into firewalld, and adding one more, against a real firewalld (in a test
/// box, private bus): Appliance's D-Bus sync vs the firewall-cmd script an admin would write for
/// the same zone, policy and rich rules (as few invocations as firewall-cmd allows).
/// </summary>
public sealed class FirewalldComparison : IComparison
{
    private const int Stacks = 20;
    private const int Rounds = 5;

    public string Name => "compare-firewalld";

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        await using TestBox box = await TestBox.CreateAsync(cancellationToken: cancellationToken);
        FirewalldInBox firewalld = await FirewalldInBox.StartAsync(box, cancellationToken: cancellationToken);
        var options = new FirewalldOptions { BusAddress = firewalld.BusAddress };
        await using FirewalldSync sync = await FirewalldSync.CreateAsync(options, cancellationToken);
        FirewallIntent intent = Intent(Stacks);
        FirewallIntent plusOne = Intent(Stacks + 1);
        FirewalldPlan plan = FirewalldPlan.From(intent, options);
        FirewalldPlan planPlusOne = FirewalldPlan.From(plusOne, options);

        var applianceFull = new List<double>();
        var applianceOne = new List<double>();
        var cmdFull = new List<double>();
        var cmdOne = new List<double>();
        for (int round = 0; round < Rounds; round++)
        {
            applianceFull.Add(await TimeAsync(() => sync.ApplyAsync(intent, cancellationToken)));
            applianceOne.Add(await TimeAsync(() => sync.ApplyAsync(plusOne, cancellationToken)));
            await sync.RemoveAsync(cancellationToken);

            cmdFull.Add(await TimeAsync(() => FirewallCmdFullAsync(firewalld, plan)));
            cmdOne.Add(await TimeAsync(() => FirewallCmdAddOneAsync(firewalld, plan, planPlusOne)));
            await firewalld.FirewallCmdAsync("--permanent", "--delete-policy=" + options.PolicyName);
            await firewalld.FirewallCmdAsync("--permanent", "--delete-zone=" + options.ZoneName);
            await firewalld.FirewallCmdAsync("--reload");
        }

        Console.WriteLine($"firewalld 1.3 in a test box, {Stacks} stacks ({plan.Policy!.RichRules.Count} rich rules), median of {Rounds} rounds");
        Console.WriteLine($"{"operation",-34} {"Appliance (D-Bus)",18} {"firewall-cmd",14} {"ratio",8}");
        Row($"put {Stacks} stacks into firewalld", applianceFull, cmdFull);
        Row("add one more stack (no reload)", applianceOne, cmdOne);
    }

    private static void Row(string what, List<double> appliance, List<double> peer) =>
        Console.WriteLine($"{what,-34} {Median(appliance),15:0.0} ms {Median(peer),11:0.0} ms {Median(appliance) / Median(peer),8:0.00}");

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static async Task<double> TimeAsync(Func<Task> work)
    {
        var stopwatch = Stopwatch.StartNew();
        await work();
        return stopwatch.Elapsed.TotalMilliseconds;
    }

    private static async Task FirewallCmdFullAsync(FirewalldInBox firewalld, FirewalldPlan plan)
    {
        FirewalldZone zone = plan.Zone!;
        FirewalldPolicy policy = plan.Policy!;
        await firewalld.FirewallCmdAsync("--permanent", "--new-zone=" + zone.Name);
        await firewalld.FirewallCmdAsync(["--permanent", "--zone=" + zone.Name, .. zone.Interfaces.Select(i => "--add-interface=" + i)]);
        await firewalld.FirewallCmdAsync("--permanent", "--new-policy=" + policy.Name);
        await firewalld.FirewallCmdAsync("--permanent", "--policy=" + policy.Name, "--set-priority=-1");
        await firewalld.FirewallCmdAsync("--permanent", "--policy=" + policy.Name, "--add-ingress-zone=" + zone.Name);
        await firewalld.FirewallCmdAsync("--permanent", "--policy=" + policy.Name, "--add-egress-zone=ANY");
        await firewalld.FirewallCmdAsync(["--permanent", "--policy=" + policy.Name, .. policy.RichRules.Select(r => "--add-rich-rule=" + r)]);
        await firewalld.FirewallCmdAsync("--reload");
    }

    private static async Task FirewallCmdAddOneAsync(FirewalldInBox firewalld, FirewalldPlan before, FirewalldPlan after)
    {
        string zone = after.Zone!.Name;
        string policy = after.Policy!.Name;
        string[] interfaces = after.Zone.Interfaces.Except(before.Zone!.Interfaces).Select(i => "--add-interface=" + i).ToArray();
        string[] rules = after.Policy.RichRules.Except(before.Policy!.RichRules).Select(r => "--add-rich-rule=" + r).ToArray();
        foreach (string[] permanent in new[] { new[] { "--permanent" }, [] })
        {
            await firewalld.FirewallCmdAsync([.. permanent, "--zone=" + zone, .. interfaces]);
            await firewalld.FirewallCmdAsync([.. permanent, "--policy=" + policy, .. rules]);
        }
    }

    private static FirewallIntent Intent(int stacks) => new()
    {
        Stacks = Enumerable.Range(1, stacks).Select(i => new StackNetwork
        {
            Name = $"s{i}",
            Bridge = $"ap-s{i}",
            Subnet = IPNetwork.Parse($"10.88.{i}.0/24"),
            EgressAllowed = i % 2 == 0,
        }).ToArray(),
    };
}
