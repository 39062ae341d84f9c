using Tmds.DBus.Protocol;

namespace Appliance.Netfilter.Firewalld;

// The permanent configuration (/etc/firewalld): what firewalld loads at start and on reload.
public sealed partial class FirewalldClient
{
    /// <summary>
    /// firewalld.conf as firewalld reports it (properties of <c>.config</c>: DefaultZone,
    /// FirewallBackend, FlushAllOnReload, StrictForwardPorts on firewalld ≥ 2.3, ...). A key this
    /// firewalld does not know is absent.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> GetDaemonSettingsAsync(CancellationToken cancellationToken = default)
    {
        Dictionary<string, VariantValue> all = await GetAllPropertiesAsync(ConfigObjectPath, ConfigInterface, cancellationToken);
        return all.Where(p => p.Value.Type is VariantValueType.String or VariantValueType.Bool)
            .ToDictionary(p => p.Key, p => p.Value.Type == VariantValueType.Bool ? (p.Value.GetBool() ? "yes" : "no") : p.Value.GetString());
    }

    public Task<string[]> GetPermanentZoneNamesAsync(CancellationToken cancellationToken = default) =>
        CallAsync("config.getZoneNames()", ConfigObjectPath, ConfigInterface, "getZoneNames", null, null,
            static (m, _) => m.GetBodyReader().ReadArrayOfString(), cancellationToken);

    public Task<string[]> GetPermanentPolicyNamesAsync(CancellationToken cancellationToken = default) =>
        CallAsync("config.getPolicyNames()", ConfigObjectPath, ConfigInterface, "getPolicyNames", null, null,
            static (m, _) => m.GetBodyReader().ReadArrayOfString(), cancellationToken);

    /// <summary>The permanent zone, or null when there is none of that name.</summary>
    public async Task<FirewalldZone?> GetPermanentZoneAsync(string zone, CancellationToken cancellationToken = default)
    {
        string? path = await GetPermanentZonePathAsync(zone, cancellationToken);
        return path is null ? null : FirewalldSettings.ReadZone(zone, await CallAsync($"config.zone('{zone}').getSettings2()", path, ConfigZoneInterface,
            "getSettings2", null, null, static (m, _) => m.GetBodyReader().ReadDictionaryOfStringToVariantValue(), cancellationToken));
    }

    /// <summary>Creates a permanent zone (it reaches the runtime with the next reload).</summary>
    public Task AddPermanentZoneAsync(FirewalldZone zone, CancellationToken cancellationToken = default) =>
        CallAsync($"config.addZone2('{zone.Name}')", ConfigObjectPath, ConfigInterface, "addZone2", "sa{sv}",
            (ref MessageWriter w) => { w.WriteString(zone.Name); w.WriteDictionary(FirewalldSettings.PermanentZone(zone)); },
            static (m, _) => m.GetBodyReader().ReadObjectPathAsString(), cancellationToken);

    public async Task UpdatePermanentZoneAsync(FirewalldZone zone, CancellationToken cancellationToken = default)
    {
        string path = await GetPermanentZonePathAsync(zone.Name, cancellationToken)
            ?? throw new FirewalldCallException($"config.getZoneByName('{zone.Name}')", "INVALID_ZONE", zone.Name);
        await CallAsync($"config.zone('{zone.Name}').update2()", path, ConfigZoneInterface, "update2", "a{sv}",
            (ref MessageWriter w) => w.WriteDictionary(FirewalldSettings.PermanentZone(zone)), cancellationToken);
    }

    /// <summary>Deletes a permanent zone; false when there was none.</summary>
    public async Task<bool> RemovePermanentZoneAsync(string zone, CancellationToken cancellationToken = default)
    {
        string? path = await GetPermanentZonePathAsync(zone, cancellationToken);
        if (path is null)
        {
            return false;
        }
        await CallAsync($"config.zone('{zone}').remove()", path, ConfigZoneInterface, "remove", null, null, cancellationToken);
        return true;
    }

    public async Task<FirewalldPolicy?> GetPermanentPolicyAsync(string policy, CancellationToken cancellationToken = default)
    {
        string? path = await GetPermanentPolicyPathAsync(policy, cancellationToken);
        return path is null ? null : FirewalldSettings.ReadPolicy(policy, await CallAsync($"config.policy('{policy}').getSettings()", path,
            ConfigPolicyInterface, "getSettings", null, null, static (m, _) => m.GetBodyReader().ReadDictionaryOfStringToVariantValue(), cancellationToken));
    }

    public Task AddPermanentPolicyAsync(FirewalldPolicy policy, CancellationToken cancellationToken = default) =>
        CallAsync($"config.addPolicy('{policy.Name}')", ConfigObjectPath, ConfigInterface, "addPolicy", "sa{sv}",
            (ref MessageWriter w) => { w.WriteString(policy.Name); w.WriteDictionary(FirewalldSettings.PermanentPolicy(policy)); },
            static (m, _) => m.GetBodyReader().ReadObjectPathAsString(), cancellationToken);

    public async Task UpdatePermanentPolicyAsync(FirewalldPolicy policy, CancellationToken cancellationToken = default)
    {
        string path = await GetPermanentPolicyPathAsync(policy.Name, cancellationToken)
            ?? throw new FirewalldCallException($"config.getPolicyByName('{policy.Name}')", "INVALID_POLICY", policy.Name);
        await CallAsync($"config.policy('{policy.Name}').update()", path, ConfigPolicyInterface, "update", "a{sv}",
            (ref MessageWriter w) => w.WriteDictionary(FirewalldSettings.PermanentPolicy(policy)), cancellationToken);
    }

    public async Task<bool> RemovePermanentPolicyAsync(string policy, CancellationToken cancellationToken = default)
    {
        string? path = await GetPermanentPolicyPathAsync(policy, cancellationToken);
        if (path is null)
        {
            return false;
        }
        await CallAsync($"config.policy('{policy}').remove()", path, ConfigPolicyInterface, "remove", null, null, cancellationToken);
        return true;
    }

    private async Task<string?> GetPermanentZonePathAsync(string zone, CancellationToken cancellationToken)
    {
        // Asking for the names first avoids using INVALID_ZONE errors (logged by firewalld) for control flow.
        if (!(await GetPermanentZoneNamesAsync(cancellationToken)).Contains(zone, StringComparer.Ordinal))
        {
            return null;
        }
        return await CallAsync($"config.getZoneByName('{zone}')", ConfigObjectPath, ConfigInterface, "getZoneByName", "s",
            (ref MessageWriter w) => w.WriteString(zone), static (m, _) => m.GetBodyReader().ReadObjectPathAsString(), cancellationToken);
    }

    private async Task<string?> GetPermanentPolicyPathAsync(string policy, CancellationToken cancellationToken)
    {
        if (!(await GetPermanentPolicyNamesAsync(cancellationToken)).Contains(policy, StringComparer.Ordinal))
        {
            return null;
        }
        return await CallAsync($"config.getPolicyByName('{policy}')", ConfigObjectPath, ConfigInterface, "getPolicyByName", "s",
            (ref MessageWriter w) => w.WriteString(policy), static (m, _) => m.GetBodyReader().ReadObjectPathAsString(), cancellationToken);
    }
}
