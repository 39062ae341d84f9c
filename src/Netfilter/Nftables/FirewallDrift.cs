namespace Appliance.Netfilter.Nftables;

/// <summary>Appliance's table was found changed from what was applied, and restored.</summary>
public sealed record FirewallDrift(DateTimeOffset DetectedAt, bool TableMissing, IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected)
{
    public override string ToString() => TableMissing
        ? "Appliance's table was removed"
        : $"Appliance's table was altered: {Missing.Count} missing, {Unexpected.Count} unexpected"
          + string.Concat(Missing.Take(5).Select(m => $"; missing {m}")) + string.Concat(Unexpected.Take(5).Select(u => $"; unexpected {u}"));
}
