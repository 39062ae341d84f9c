using System.Net;

namespace Appliance.Orchestrator.Networking;

/// <summary>
/// Address management, pure: hands each stack a subnet from the pool that overlaps neither
/// another stack's subnet nor anything the host already routes or has as an address, and each
/// container an address from .2 upwards (.1 is the bridge, the gateway). An existing
/// allocation is kept as it is, so a redeploy gets the same subnet and addresses.
/// </summary>
public sealed class Ipam
{
    public Ipam(IpamOptions? options = null)
    {
        Options = options ?? IpamOptions.Default;
        IPNetwork pool = Options.Pool;
        if (pool.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            throw new IpamException($"address pool {pool} is not IPv4; use e.g. 10.88.0.0/16");
        }
        if (Options.SubnetPrefixLength < pool.PrefixLength || Options.SubnetPrefixLength > 30)
        {
            throw new IpamException(
                $"subnet size /{Options.SubnetPrefixLength} does not fit address pool {pool}; use a prefix length between {pool.PrefixLength} and 30, e.g. 24");
        }
    }

    public IpamOptions Options { get; }

    /// <summary>
    /// Gives <paramref name="stackName"/> a subnet (or keeps the one it has). <paramref name="occupied"/>
    /// are the host's routes and address networks; default routes (/0) are ignored.
    /// </summary>
    public IpamState AllocateSubnet(IpamState state, string stackName, IEnumerable<IPNetwork> occupied)
    {
        ArgumentException.ThrowIfNullOrEmpty(stackName);
        if (state.Find(stackName) is not null)
        {
            return state;
        }
        var taken = occupied.Where(n => n.PrefixLength > 0 && n.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            .Concat(state.Stacks.Values.Select(s => s.Subnet))
            .ToList();
        uint first = Ipv4.First(Options.Pool);
        ulong count = 1UL << (Options.SubnetPrefixLength - Options.Pool.PrefixLength);
        ulong size = 1UL << (32 - Options.SubnetPrefixLength);
        for (ulong i = 0; i < count; i++)
        {
            var candidate = new IPNetwork(Ipv4.FromUInt32((uint)(first + i * size)), Options.SubnetPrefixLength);
            if (!taken.Any(t => Ipv4.Overlaps(t, candidate)))
            {
                return state with { Stacks = state.Stacks.SetItem(stackName, new StackSubnet(stackName, candidate)) };
            }
        }
        throw new IpamException(
            $"no free /{Options.SubnetPrefixLength} left in address pool {Options.Pool} for stack '{stackName}' " +
            $"({state.Stacks.Count} stacks hold subnets, the host routes {taken.Count - state.Stacks.Count} overlapping networks); " +
            "remove an unused stack or configure a larger pool");
    }

    /// <summary>Gives a container of the stack an address (or keeps the one it has).</summary>
    public IpamState AllocateAddress(IpamState state, string stackName, string containerName)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerName);
        StackSubnet stack = state.Find(stackName)
            ?? throw new IpamException($"stack '{stackName}' has no subnet yet; allocate its subnet before its containers' addresses");
        if (stack.Addresses.ContainsKey(containerName))
        {
            return state;
        }
        var used = stack.Addresses.Values.Select(Ipv4.ToUInt32).ToHashSet();
        uint hosts = (uint)(1UL << (32 - stack.Subnet.PrefixLength)) - 1; // last = broadcast
        for (uint n = 2; n < hosts; n++)
        {
            IPAddress candidate = Ipv4.Host(stack.Subnet, n);
            if (!used.Contains(Ipv4.ToUInt32(candidate)))
            {
                StackSubnet updated = stack with { Addresses = stack.Addresses.SetItem(containerName, candidate) };
                return state with { Stacks = state.Stacks.SetItem(stackName, updated) };
            }
        }
        throw new IpamException(
            $"subnet {stack.Subnet} of stack '{stackName}' has no free address for container '{containerName}' " +
            $"({stack.Addresses.Count} in use); use a larger subnet size");
    }

    public IpamState ReleaseAddress(IpamState state, string stackName, string containerName) =>
        state.Find(stackName) is { } stack && stack.Addresses.ContainsKey(containerName)
            ? state with { Stacks = state.Stacks.SetItem(stackName, stack with { Addresses = stack.Addresses.Remove(containerName) }) }
            : state;

    public IpamState ReleaseSubnet(IpamState state, string stackName) =>
        state.Stacks.ContainsKey(stackName) ? state with { Stacks = state.Stacks.Remove(stackName) } : state;
}
