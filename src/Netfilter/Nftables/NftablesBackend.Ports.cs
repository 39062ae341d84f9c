using Appliance.Netfilter.Backends;
using Appliance.Netfilter.Errors;
using Appliance.Netfilter.Intent;

namespace Appliance.Netfilter.Nftables;

public sealed partial class NftablesBackend
{
    /// <summary>
    /// Publishes one more port of a stack: one transaction of element adds (DNAT maps, allowed
    /// sources), no table rewrite and no re-read of the ruleset.
    /// </summary>
    public Task<FirewallApplyResult> PublishPortAsync(string stackName, PublishedPort port, CancellationToken cancellationToken = default) =>
        ChangePortAsync(stackName, port, publish: true, cancellationToken);

    /// <summary>Withdraws one published port: element deletes only (and its stale UDP conntrack entries).</summary>
    public Task<FirewallApplyResult> UnpublishPortAsync(string stackName, PublishedPort port, CancellationToken cancellationToken = default) =>
        ChangePortAsync(stackName, port, publish: false, cancellationToken);

    private async Task<FirewallApplyResult> ChangePortAsync(string stackName, PublishedPort port, bool publish, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            FirewallIntent intent = _appliedIntent ?? throw new FirewallBackendException("apply an intent before publishing single ports");
            int index = -1;
            for (int i = 0; i < intent.Stacks.Count; i++)
            {
                if (intent.Stacks[i].Name == stackName)
                {
                    index = i;
                    break;
                }
            }
            if (index < 0)
            {
                throw new InvalidFirewallIntentException([$"stacks: no stack named '{stackName}'; known: {string.Join(", ", intent.Stacks.Select(s => s.Name))}"]);
            }
            StackNetwork stack = intent.Stacks[index];
            List<PublishedPort> ports = stack.PublishedPorts.ToList();
            if (publish)
            {
                CheckPublishable(intent, stack, port);
                ports.Add(port);
            }
            else if (!ports.Remove(port))
            {
                throw new InvalidFirewallIntentException([$"stacks[{index}] ({stackName}): {port} is not published"]);
            }
            var stacks = intent.Stacks.ToArray();
            stacks[index] = stack with { PublishedPorts = ports };
            FirewallIntent next = intent with { Stacks = stacks };

            var added = new Dictionary<string, List<NftElement>>();
            var removed = new Dictionary<string, List<NftElement>>();
            (publish ? added : removed).AddRange(NftCompiler.DnatElements(port));
            // The allowed sources of the port's target, recomputed for every port sharing it.
            bool SameTarget(PublishedPort p) =>
                p.ContainerAddress.Equals(port.ContainerAddress) && p.Protocol == port.Protocol && p.ContainerPort == port.ContainerPort;
            var before = NftCompiler.AccessElements(intent.Stacks.SelectMany(s => s.PublishedPorts).Where(SameTarget)).ToList();
            var after = NftCompiler.AccessElements(next.Stacks.SelectMany(s => s.PublishedPorts).Where(SameTarget)).ToList();
            foreach (var gone in before.Where(b => !after.Any(a => a.Set == b.Set && a.Element.Text == b.Element.Text)))
            {
                removed.AddRange(new Dictionary<string, List<NftElement>> { [gone.Set] = [gone.Element] });
            }
            foreach (var come in after.Where(a => !before.Any(b => b.Set == a.Set && b.Element.Text == a.Element.Text)))
            {
                added.AddRange(new Dictionary<string, List<NftElement>> { [come.Set] = [come.Element] });
            }
            CompiledRuleset applied = _applied!;
            var transaction = applied.ElementChange(removed, added);
            int commands = CompiledRuleset.CommandCount(transaction);
            NftContext context = await ContextAsync(cancellationToken);
            if (commands > 0)
            {
                await context.RunAsync(transaction, $"{(publish ? "publish" : "unpublish")} {port} of stack '{stackName}'", cancellationToken);
            }
            _applied = applied.WithElements(added, removed);
            _appliedIntent = next;
            if (port.Protocol == TransportProtocol.Udp)
            {
                await FlushUdpConntrackAsync(port.HostPort, cancellationToken);
            }
            return new FirewallApplyResult { Incremental = true, Commands = commands, PendingUntil = _pending?.Until };
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>The checks of <see cref="FirewallIntentValidator"/> that one new port can fail, in O(ports).</summary>
    private static void CheckPublishable(FirewallIntent intent, StackNetwork stack, PublishedPort port)
    {
        var errors = new List<string>();
        if (port.HostPort is < 1 or > 65535 || port.ContainerPort is < 1 or > 65535)
        {
            errors.Add($"{port}: ports must be 1-65535");
        }
        if (!stack.Subnet.Contains(port.ContainerAddress))
        {
            errors.Add($"{port}: {port.ContainerAddress} is outside the stack's subnet {stack.Subnet}");
        }
        foreach (StackNetwork s in intent.Stacks)
        {
            foreach (PublishedPort p in s.PublishedPorts)
            {
                if (p.Protocol == port.Protocol && p.HostPort == port.HostPort
                    && (p.HostAddress is null || port.HostAddress is null || p.HostAddress.Equals(port.HostAddress)))
                {
                    errors.Add($"{port}: host port {port.HostPort} is already published by stack '{s.Name}' ({p}); choose another host port");
                }
            }
        }
        if (errors.Count > 0)
        {
            throw new InvalidFirewallIntentException(errors);
        }
    }
}

internal static class ElementDictionaryExtensions
{
    public static void AddRange(this Dictionary<string, List<NftElement>> target, Dictionary<string, List<NftElement>> more)
    {
        foreach ((string set, List<NftElement> list) in more)
        {
            if (!target.TryGetValue(set, out List<NftElement>? existing))
            {
                target[set] = existing = new List<NftElement>();
            }
            existing.AddRange(list);
        }
    }
}
