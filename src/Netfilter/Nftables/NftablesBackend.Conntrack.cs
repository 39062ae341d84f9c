using Appliance.Netfilter.Conntrack;
using Appliance.Netfilter.Intent;

namespace Appliance.Netfilter.Nftables;

public sealed partial class NftablesBackend
{
    /// <summary>
    /// Deletes the UDP conntrack entries of a host port in the managed namespace: UDP "connections"
    /// outlive a re-publish and would keep going to the old container. Returns how many were deleted.
    /// </summary>
    public Task<int> FlushUdpConntrackAsync(int hostPort, CancellationToken cancellationToken = default) =>
        _options.Namespace.RunAsync(() => ConntrackFlusher.FlushUdpByDestinationPort(hostPort), cancellationToken);

    /// <summary>The UDP host ports whose mapping differs between two intents (published, withdrawn or re-targeted).</summary>
    private static IEnumerable<int> ChangedUdpPorts(FirewallIntent? before, FirewallIntent after)
    {
        static HashSet<PublishedPort> Udp(FirewallIntent? i) =>
            (i?.Stacks ?? []).SelectMany(s => s.PublishedPorts).Where(p => p.Protocol == TransportProtocol.Udp).ToHashSet();
        HashSet<PublishedPort> was = Udp(before), now = Udp(after);
        return was.Except(now).Concat(now.Except(was)).Select(p => p.HostPort).Distinct();
    }
}
