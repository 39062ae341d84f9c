namespace Appliance.Netfilter.Firewalld;

/// <summary>
/// The part of a firewalld policy's settings (zone-to-zone traffic: getPolicySettings /
/// config.policy getSettings) that Appliance reads and writes.
/// </summary>
public sealed record FirewalldPolicy
{
    public required string Name { get; init; }

    public string Short { get; init; } = "";

    public string Description { get; init; } = "";

    /// <summary>CONTINUE (the default: what no rule matches goes on to the zones), ACCEPT, DROP, REJECT.</summary>
    public string Target { get; init; } = "CONTINUE";

    /// <summary>Zones (or ANY / HOST) the traffic comes from.</summary>
    public IReadOnlyList<string> IngressZones { get; init; } = [];

    /// <summary>Zones (or ANY / HOST) the traffic goes to.</summary>
    public IReadOnlyList<string> EgressZones { get; init; } = [];

    public IReadOnlyList<string> RichRules { get; init; } = [];

    /// <summary>Policies with a lower priority run first; negative ones run before the zones.</summary>
    public int Priority { get; init; } = -1;

    public bool SameAs(FirewalldPolicy other) =>
        Name == other.Name && Target == other.Target && Priority == other.Priority && Short == other.Short &&
        Description == other.Description && FirewalldZone.SetEqual(IngressZones, other.IngressZones) &&
        FirewalldZone.SetEqual(EgressZones, other.EgressZones) && FirewalldZone.SetEqual(RichRules, other.RichRules);

    public override string ToString() =>
        $"policy {Name} (target {Target}, priority {Priority}, ingress [{string.Join(", ", IngressZones)}], " +
        $"egress [{string.Join(", ", EgressZones)}], rich rules [{string.Join("; ", RichRules)}])";
}
