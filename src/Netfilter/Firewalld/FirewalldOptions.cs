using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Netfilter.Firewalld;

/// <summary>Where firewalld is and what Appliance's objects in it are called.</summary>
public sealed record FirewalldOptions
{
    /// <summary>The D-Bus address firewalld listens on; null = the system bus (the product's default).</summary>
    public string? BusAddress { get; init; }

    /// <summary>The permanent zone Appliance's stack bridges are bound to (at most 17 characters).</summary>
    public string ZoneName { get; init; } = "appliance";

    /// <summary>The permanent policy from that zone to ANY (at most 18 characters): intra-stack, isolation, egress.</summary>
    public string PolicyName { get; init; } = "appliance-stacks";

    /// <summary>The permanent policy from ANY to HOST (at most 18 characters): the host services' allowed sources.</summary>
    public string HostPolicyName { get; init; } = "appliance-host";

    /// <summary>After a reload or restart of firewalld, re-verify after this pause (lets a burst of signals settle).</summary>
    public TimeSpan ReapplyDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}
