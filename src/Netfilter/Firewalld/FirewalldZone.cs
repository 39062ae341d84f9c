namespace Appliance.Netfilter.Firewalld;

/// <summary>
/// The part of a firewalld zone's settings (the <c>a{sv}</c> of getZoneSettings2 / getSettings2)
/// that Appliance reads and writes. Keys Appliance does not manage are left as firewalld has them.
/// </summary>
public sealed record FirewalldZone
{
    public required string Name { get; init; }

    public string Short { get; init; } = "";

    public string Description { get; init; } = "";

    /// <summary>default, ACCEPT, DROP, %%REJECT%%. Appliance's zone keeps "default": what is not allowed is rejected.</summary>
    public string Target { get; init; } = "default";

    public IReadOnlyList<string> Interfaces { get; init; } = [];

    public IReadOnlyList<string> Sources { get; init; } = [];

    public IReadOnlyList<string> Services { get; init; } = [];

    public IReadOnlyList<string> RichRules { get; init; } = [];

    /// <summary>Intra-zone forwarding: traffic between the zone's interfaces is accepted.</summary>
    public bool Forward { get; init; }

    /// <summary>True when the managed parts of both are the same (lists compared as sets).</summary>
    public bool SameAs(FirewalldZone other) =>
        Name == other.Name && Target == other.Target && Forward == other.Forward && Short == other.Short &&
        Description == other.Description && SetEqual(Interfaces, other.Interfaces) && SetEqual(Sources, other.Sources) &&
        SetEqual(Services, other.Services) && SetEqual(RichRules, other.RichRules);

    public override string ToString() =>
        $"zone {Name} (target {Target}, forward {(Forward ? "yes" : "no")}, interfaces [{string.Join(", ", Interfaces)}], " +
        $"sources [{string.Join(", ", Sources)}], services [{string.Join(", ", Services)}], rich rules [{string.Join("; ", RichRules)}])";

    internal static bool SetEqual(IReadOnlyList<string> a, IReadOnlyList<string> b) =>
        a.Count == b.Count && a.ToHashSet(StringComparer.Ordinal).SetEquals(b);
}
