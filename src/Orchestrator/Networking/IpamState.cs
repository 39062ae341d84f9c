using System.Collections.Immutable;

namespace Appliance.Orchestrator.Networking;

/// <summary>
/// Every allocation of the address pool: what the state layer persists, so a redeploy (or a
/// daemon restart) keeps each stack's subnet and each container's address. Immutable: the
/// <see cref="Ipam"/> operations return a new state.
/// </summary>
public sealed record IpamState(ImmutableSortedDictionary<string, StackSubnet> Stacks)
{
    public static IpamState Empty { get; } = new(ImmutableSortedDictionary<string, StackSubnet>.Empty.WithComparers(StringComparer.Ordinal));

    public StackSubnet? Find(string stackName) => Stacks.GetValueOrDefault(stackName);

    /// <summary>This state with <paramref name="subnet"/> added or replaced (for loading persisted rows).</summary>
    public IpamState With(StackSubnet subnet) => this with { Stacks = Stacks.SetItem(subnet.StackName, subnet) };
}
