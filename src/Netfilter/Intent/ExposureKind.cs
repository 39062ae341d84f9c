namespace Appliance.Netfilter.Intent;

/// <summary>Who may reach a published port or host service. Wire names (stack files, API):
/// <c>host-only</c>, <c>lan</c>, <c>internet</c>, <c>sources</c>.</summary>
public enum ExposureKind
{
    /// <summary>Only the box itself (connections from the host, incl. 127.0.0.1).</summary>
    HostOnly,

    /// <summary>The box itself and the LAN subnets of <see cref="FirewallIntent.LanSubnets"/>.</summary>
    Lan,

    /// <summary>Anyone (0.0.0.0/0).</summary>
    Internet,

    /// <summary>The box itself and exactly the CIDRs of <see cref="Exposure.Sources"/>.</summary>
    Sources,
}
