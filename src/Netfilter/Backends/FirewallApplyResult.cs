namespace Appliance.Netfilter.Backends;

/// <summary>What an apply did.</summary>
public sealed record FirewallApplyResult
{
    /// <summary>True when only set/map elements changed (no table rewrite).</summary>
    public required bool Incremental { get; init; }

    /// <summary>Commands in the one transaction (0: nothing to change).</summary>
    public required int Commands { get; init; }

    /// <summary>When set, the change cut the owner's access and is rolled back at this time unless confirmed.</summary>
    public DateTimeOffset? PendingUntil { get; init; }

    /// <summary>What the kernel lacks for the intent to work (e.g. IP forwarding off); checked, never changed.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
