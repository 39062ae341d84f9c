using Tmds.DBus.Protocol;

namespace Appliance.Netfilter.Firewalld;

/// <summary>The one mapping between our zone/policy records and firewalld's <c>a{sv}</c> settings keys.</summary>
internal static class FirewalldSettings
{
    // Zone keys (getZoneSettings2 / config.zone getSettings2).
    private const string Short = "short";
    private const string Description = "description";
    private const string Target = "target";
    private const string Interfaces = "interfaces";
    private const string Sources = "sources";
    private const string Services = "services";
    private const string ZoneRichRules = "rules_str";
    private const string Forward = "forward";

    // Policy keys (getPolicySettings / config.policy getSettings).
    private const string PolicyRichRules = "rich_rules";
    private const string IngressZones = "ingress_zones";
    private const string EgressZones = "egress_zones";
    private const string Priority = "priority";

    public static FirewalldZone ReadZone(string name, Dictionary<string, VariantValue> settings) => new()
    {
        Name = name,
        Short = String(settings, Short),
        Description = String(settings, Description),
        Target = NormalizeZoneTarget(String(settings, Target)),
        Interfaces = Strings(settings, Interfaces),
        Sources = Strings(settings, Sources),
        Services = Strings(settings, Services),
        RichRules = Strings(settings, ZoneRichRules),
        Forward = settings.TryGetValue(Forward, out VariantValue forward) && forward.GetBool(),
    };

    public static FirewalldPolicy ReadPolicy(string name, Dictionary<string, VariantValue> settings) => new()
    {
        Name = name,
        Short = String(settings, Short),
        Description = String(settings, Description),
        Target = String(settings, Target) is { Length: > 0 } target ? target : "CONTINUE",
        IngressZones = Strings(settings, IngressZones),
        EgressZones = Strings(settings, EgressZones),
        RichRules = Strings(settings, PolicyRichRules),
        Priority = settings.TryGetValue(Priority, out VariantValue priority) ? priority.GetInt32() : -1,
    };

    /// <summary>What setZoneSettings2 accepts at runtime: lists and flags only.</summary>
    public static Dictionary<string, VariantValue> RuntimeZone(FirewalldZone zone) => new()
    {
        [Interfaces] = VariantValue.Array(zone.Interfaces.ToArray()),
        [Sources] = VariantValue.Array(zone.Sources.ToArray()),
        [Services] = VariantValue.Array(zone.Services.ToArray()),
        [ZoneRichRules] = VariantValue.Array(zone.RichRules.ToArray()),
        [Forward] = VariantValue.Bool(zone.Forward),
    };

    public static Dictionary<string, VariantValue> PermanentZone(FirewalldZone zone)
    {
        Dictionary<string, VariantValue> settings = RuntimeZone(zone);
        settings[Short] = zone.Short;
        settings[Description] = zone.Description;
        settings[Target] = zone.Target;
        return settings;
    }

    public static Dictionary<string, VariantValue> RuntimePolicy(FirewalldPolicy policy) => new()
    {
        [IngressZones] = VariantValue.Array(policy.IngressZones.ToArray()),
        [EgressZones] = VariantValue.Array(policy.EgressZones.ToArray()),
        [PolicyRichRules] = VariantValue.Array(policy.RichRules.ToArray()),
    };

    public static Dictionary<string, VariantValue> PermanentPolicy(FirewalldPolicy policy)
    {
        Dictionary<string, VariantValue> settings = RuntimePolicy(policy);
        settings[Short] = policy.Short;
        settings[Description] = policy.Description;
        settings[Target] = policy.Target;
        settings[Priority] = VariantValue.Int32(policy.Priority);
        return settings;
    }

    /// <summary>firewalld reports the default zone target as "default" over D-Bus, and as "{chain}_{zone}" internally.</summary>
    private static string NormalizeZoneTarget(string target) => target is "" or "{chain}_{zone}" ? "default" : target;

    private static string String(Dictionary<string, VariantValue> settings, string key) =>
        settings.TryGetValue(key, out VariantValue value) && value.Type == VariantValueType.String ? value.GetString() : "";

    private static IReadOnlyList<string> Strings(Dictionary<string, VariantValue> settings, string key) =>
        settings.TryGetValue(key, out VariantValue value) && value.Type == VariantValueType.Array ? value.GetArray<string>() : [];
}
