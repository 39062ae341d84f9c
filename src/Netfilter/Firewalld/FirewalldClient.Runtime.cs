using Tmds.DBus.Protocol;

namespace Appliance.Netfilter.Firewalld;

// The runtime configuration: what firewalld enforces now. Lost on reload unless also permanent.
public sealed partial class FirewalldClient
{
    /// <summary>firewalld's version string (property <c>version</c>), e.g. "1.3.3".</summary>
    public async Task<string> GetVersionAsync(CancellationToken cancellationToken = default) =>
        (await GetPropertyAsync(ObjectPath, Interface, "version", cancellationToken)).GetString();

    public Task<string> GetDefaultZoneAsync(CancellationToken cancellationToken = default) =>
        CallAsync("getDefaultZone()", ObjectPath, Interface, "getDefaultZone", null, null,
            static (m, _) => m.GetBodyReader().ReadString(), cancellationToken);

    public Task<string[]> GetZonesAsync(CancellationToken cancellationToken = default) =>
        CallAsync("zone.getZones()", ObjectPath, ZoneInterface, "getZones", null, null,
            static (m, _) => m.GetBodyReader().ReadArrayOfString(), cancellationToken);

    public Task<string[]> GetPoliciesAsync(CancellationToken cancellationToken = default) =>
        CallAsync("policy.getPolicies()", ObjectPath, PolicyInterface, "getPolicies", null, null,
            static (m, _) => m.GetBodyReader().ReadArrayOfString(), cancellationToken);

    /// <summary>The zone an interface is bound to at runtime, or null for none (then the default zone applies).</summary>
    public async Task<string?> GetZoneOfInterfaceAsync(string interfaceName, CancellationToken cancellationToken = default)
    {
        string zone = await CallAsync($"zone.getZoneOfInterface('{interfaceName}')", ObjectPath, ZoneInterface, "getZoneOfInterface", "s",
            (ref MessageWriter w) => w.WriteString(interfaceName), static (m, _) => m.GetBodyReader().ReadString(), cancellationToken);
        return zone.Length == 0 ? null : zone;
    }

    public async Task<FirewalldZone> GetZoneAsync(string zone, CancellationToken cancellationToken = default) =>
        FirewalldSettings.ReadZone(zone, await CallAsync($"zone.getZoneSettings2('{zone}')", ObjectPath, ZoneInterface, "getZoneSettings2", "s",
            (ref MessageWriter w) => w.WriteString(zone), static (m, _) => m.GetBodyReader().ReadDictionaryOfStringToVariantValue(), cancellationToken));

    /// <summary>
    /// Makes the runtime zone's interfaces, sources, services, rich rules and forward flag equal to
    /// <paramref name="zone"/>'s (firewalld adds and removes the differences). Target and texts
    /// are permanent-only settings: change them with <see cref="UpdatePermanentZoneAsync"/> and a reload.
    /// </summary>
    public Task SetZoneAsync(FirewalldZone zone, CancellationToken cancellationToken = default) =>
        CallAsync($"zone.setZoneSettings2('{zone.Name}')", ObjectPath, ZoneInterface, "setZoneSettings2", "sa{sv}",
            (ref MessageWriter w) =>
            {
                w.WriteString(zone.Name);
                w.WriteDictionary(FirewalldSettings.RuntimeZone(zone));
            }, cancellationToken);

    public async Task<FirewalldPolicy> GetPolicyAsync(string policy, CancellationToken cancellationToken = default) =>
        FirewalldSettings.ReadPolicy(policy, await CallAsync($"policy.getPolicySettings('{policy}')", ObjectPath, PolicyInterface, "getPolicySettings", "s",
            (ref MessageWriter w) => w.WriteString(policy), static (m, _) => m.GetBodyReader().ReadDictionaryOfStringToVariantValue(), cancellationToken));

    /// <summary>Makes the runtime policy's zones and rich rules equal to <paramref name="policy"/>'s (target and priority are permanent-only).</summary>
    public Task SetPolicyAsync(FirewalldPolicy policy, CancellationToken cancellationToken = default) =>
        CallAsync($"policy.setPolicySettings('{policy.Name}')", ObjectPath, PolicyInterface, "setPolicySettings", "sa{sv}",
            (ref MessageWriter w) =>
            {
                w.WriteString(policy.Name);
                w.WriteDictionary(FirewalldSettings.RuntimePolicy(policy));
            }, cancellationToken);

    /// <summary>Binds an interface (or a wildcard like <c>ap-+</c>) to a zone at runtime.</summary>
    public Task AddInterfaceAsync(string zone, string interfaceName, CancellationToken cancellationToken = default) =>
        CallAsync($"zone.addInterface('{zone}', '{interfaceName}')", ObjectPath, ZoneInterface, "addInterface", "ss",
            (ref MessageWriter w) => { w.WriteString(zone); w.WriteString(interfaceName); }, cancellationToken);

    public Task RemoveInterfaceAsync(string zone, string interfaceName, CancellationToken cancellationToken = default) =>
        CallAsync($"zone.removeInterface('{zone}', '{interfaceName}')", ObjectPath, ZoneInterface, "removeInterface", "ss",
            (ref MessageWriter w) => { w.WriteString(zone); w.WriteString(interfaceName); }, cancellationToken);

    /// <summary>Loads the permanent configuration into the runtime (firewall-cmd --reload). Emits <c>Reloaded</c>.</summary>
    public Task ReloadAsync(CancellationToken cancellationToken = default) =>
        CallAsync("reload()", ObjectPath, Interface, "reload", null, null, cancellationToken);

    private Task<VariantValue> GetPropertyAsync(string path, string @interface, string name, CancellationToken cancellationToken) =>
        CallAsync($"Get('{@interface}', '{name}')", path, "org.freedesktop.DBus.Properties", "Get", "ss",
            (ref MessageWriter w) => { w.WriteString(@interface); w.WriteString(name); },
            static (m, _) => m.GetBodyReader().ReadVariantValue(), cancellationToken);

    private Task<Dictionary<string, VariantValue>> GetAllPropertiesAsync(string path, string @interface, CancellationToken cancellationToken) =>
        CallAsync($"GetAll('{@interface}')", path, "org.freedesktop.DBus.Properties", "GetAll", "s",
            (ref MessageWriter w) => w.WriteString(@interface),
            static (m, _) => m.GetBodyReader().ReadDictionaryOfStringToVariantValue(), cancellationToken);
}
