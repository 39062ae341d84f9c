using Appliance.Netfilter.Intent;
using Appliance.Netfilter.Linux;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Netfilter.Nftables;

/// <summary>Settings of the nftables backend.</summary>
public sealed record NftablesBackendOptions
{
    /// <summary>The network namespace whose ruleset Appliance manages (tests: the test box's nas).</summary>
    public NetworkNamespace Namespace { get; init; } = NetworkNamespace.Current;

    /// <summary>How long a change that cuts the owner's access waits for a confirm before it is rolled back.</summary>
    public TimeSpan ConfirmWindow { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Where rollback files and confirm markers live (root-only).</summary>
    public string StateDirectory { get; init; } = "/run/appliance/firewall";

    /// <summary>
    /// How often Appliance's table is compared with what was applied when nothing reported a change (with
    /// <see cref="DriftEvents"/>, a change is compared the moment it is made); zero disables the watch.
    /// </summary>
    public TimeSpan DriftPollInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Compare the table the moment nftables reports a change in the namespace (its netlink events).</summary>
    public bool DriftEvents { get; init; } = true;

    /// <summary>The table to inspect before any intent was applied (explain, foreign checks).</summary>
    public string TableName { get; init; } = FirewallIntent.DefaultTableName;

    /// <summary>The mark to look for before any intent was applied.</summary>
    public PacketMark Mark { get; init; } = PacketMark.Default;

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}
