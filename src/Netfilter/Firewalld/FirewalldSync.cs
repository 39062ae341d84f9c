using System.Diagnostics;
using Appliance.Netfilter.Intent;
using Microsoft.Extensions.Logging;

namespace Appliance.Netfilter.Firewalld;

/// <summary>
/// Keeps firewalld holding what an intent needs (see <see cref="FirewalldPlan"/>): Appliance's
/// permanent zone and policy, runtime and permanent in step. A permanent object that is created
/// or removed reaches the runtime by one reload (firewalld cannot create zones or policies at
/// runtime); any other change is written to both, without a reload. After firewalld reloads or
/// restarts (its <c>Reloaded</c> signal, its bus name changing owner) the last intent is verified
/// and re-applied. Only Appliance's own zone and policy are ever changed.
/// </summary>
public sealed partial class FirewalldSync : IAsyncDisposable
{
    private readonly FirewalldClient _client;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ILogger _logger;
    private FirewallIntent? _intent;

    public FirewalldSync(FirewalldClient client, FirewalldOptions? options = null)
    {
        _client = client;
        Options = options ?? new FirewalldOptions();
        _logger = Options.LoggerFactory.CreateLogger<FirewalldSync>();
    }

    public FirewalldOptions Options { get; }

    public FirewalldClient Client => _client;

    /// <summary>The intent last applied (kept in firewalld across reloads), or null before the first apply.</summary>
    public FirewallIntent? Intent => _intent;

    /// <summary>Connects to firewalld at <see cref="FirewalldOptions.BusAddress"/> and checks that Appliance can work with its settings.</summary>
    public static async Task<FirewalldSync> CreateAsync(FirewalldOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new FirewalldOptions();
        FirewalldClient client = await FirewalldClient.ConnectAsync(options.BusAddress, cancellationToken);
        try
        {
            if (!await client.IsRunningAsync(cancellationToken))
            {
                throw new FirewalldUnavailableException(client.Address, $"no process owns {FirewalldClient.BusName}");
            }
            CheckDaemonSettings(await client.GetDaemonSettingsAsync(cancellationToken));
            return new FirewalldSync(client, options);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Refuses firewalld setups Appliance cannot work with. StrictForwardPorts=yes (firewalld ≥ 2.3)
    /// drops DNAT'd traffic that firewalld itself did not forward, which would cut every published
    /// port off.
    /// </summary>
    internal static void CheckDaemonSettings(IReadOnlyDictionary<string, string> settings)
    {
        if (settings.TryGetValue("StrictForwardPorts", out string? strict) && strict.Equals("yes", StringComparison.OrdinalIgnoreCase))
        {
            throw new FirewalldConfigurationException("StrictForwardPorts",
                "firewalld has StrictForwardPorts=yes: it drops port-forwarded traffic it did not set up itself, so Appliance's " +
                "published ports would never answer. Set StrictForwardPorts=no in /etc/firewalld/firewalld.conf and restart firewalld, " +
                "or run Appliance with --firewall-backend nftables after stopping firewalld.");
        }
        if (settings.TryGetValue("FirewallBackend", out string? backend) && !backend.Equals("nftables", StringComparison.OrdinalIgnoreCase))
        {
            throw new FirewalldConfigurationException("FirewallBackend",
                $"firewalld uses FirewallBackend={backend}; Appliance's own table needs firewalld on nftables. " +
                "Set FirewallBackend=nftables in /etc/firewalld/firewalld.conf and restart firewalld.");
        }
    }

    /// <summary>
    /// Makes firewalld hold what <paramref name="intent"/> needs, permanent and runtime, and
    /// remembers it for re-applying after a reload. Returns what had to change.
    /// </summary>
    public async Task<FirewalldApplyResult> ApplyAsync(FirewallIntent intent, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _intent = intent;
            FirewalldApplyResult result;
            try
            {
                result = await ConvergeAsync(FirewalldPlan.From(intent, Options), cancellationToken);
            }
            catch (FirewalldCallException e) when (e.Code == "ZONE_CONFLICT" ||
                                                   (e.Code == "INVALID_INTERFACE" && e.Detail.Contains("already bound", StringComparison.Ordinal)))
            {
                throw new FirewalldCallException(e.Call, e.Code, e.Detail, e,
                    $"Appliance binds its stack bridges to zone '{Options.ZoneName}'; a bridge is bound to another zone. " +
                    "Remove it there (firewall-cmd --get-zone-of-interface=BRIDGE; firewall-cmd --permanent --zone=ZONE " +
                    "--remove-interface=BRIDGE; firewall-cmd --reload) and apply again");
            }
            if (result.Changed)
            {
                Log.Applied(_logger, _client.Address, result.Elapsed.TotalMilliseconds, string.Join("; ", result.Changes));
            }
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes everything Appliance added to firewalld (its zone and policy, permanent and runtime).</summary>
    public Task<FirewalldApplyResult> RemoveAsync(CancellationToken cancellationToken = default) =>
        ApplyAsync(FirewallIntent.Empty, cancellationToken);

    /// <summary>Compares firewalld's runtime and permanent state with the last intent; empty when all is in place.</summary>
    public async Task<IReadOnlyList<string>> VerifyAsync(CancellationToken cancellationToken = default)
    {
        FirewalldPlan plan = FirewalldPlan.From(_intent ?? FirewallIntent.Empty, Options);
        var differences = new List<string>();
        string[] runtimeZones = await _client.GetZonesAsync(cancellationToken);
        string[] runtimePolicies = await _client.GetPoliciesAsync(cancellationToken);
        Compare("permanent zone", Options.ZoneName, plan.Zone, await _client.GetPermanentZoneAsync(Options.ZoneName, cancellationToken),
            (a, b) => a.SameAs(b), differences);
        Compare("runtime zone", Options.ZoneName, plan.Zone,
            runtimeZones.Contains(Options.ZoneName) ? await _client.GetZoneAsync(Options.ZoneName, cancellationToken) : null, RuntimeZoneSame, differences);
        foreach ((string name, FirewalldPolicy? desired) in Policies(plan))
        {
            Compare("permanent policy", name, desired, await _client.GetPermanentPolicyAsync(name, cancellationToken), (a, b) => a.SameAs(b), differences);
            Compare("runtime policy", name, desired,
                runtimePolicies.Contains(name) ? await _client.GetPolicyAsync(name, cancellationToken) : null, RuntimePolicySame, differences);
        }
        return differences;
    }

    private (string Name, FirewalldPolicy? Desired)[] Policies(FirewalldPlan plan) =>
        [(Options.PolicyName, plan.Policy), (Options.HostPolicyName, plan.HostPolicy)];

    private async Task<FirewalldApplyResult> ConvergeAsync(FirewalldPlan plan, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var changes = new List<string>();
        bool reloadNeeded = false;

        // Permanent first. The stacks policy names the zone: create the zone before it, remove it after.
        FirewalldZone? permanentZone = await _client.GetPermanentZoneAsync(Options.ZoneName, cancellationToken);
        if (plan.Zone is { } zone)
        {
            if (permanentZone is null)
            {
                await _client.AddPermanentZoneAsync(zone, cancellationToken);
                changes.Add($"created permanent zone '{zone.Name}'");
                reloadNeeded = true;
            }
            else if (!permanentZone.SameAs(zone))
            {
                await _client.UpdatePermanentZoneAsync(zone, cancellationToken);
                changes.Add($"updated permanent zone '{zone.Name}'");
                reloadNeeded |= permanentZone.Target != zone.Target; // the target is not settable at runtime
            }
        }
        foreach ((string name, FirewalldPolicy? desired) in Policies(plan))
        {
            FirewalldPolicy? permanent = await _client.GetPermanentPolicyAsync(name, cancellationToken);
            if (desired is not null && permanent is null)
            {
                await _client.AddPermanentPolicyAsync(desired, cancellationToken);
                changes.Add($"created permanent policy '{name}'");
                reloadNeeded = true;
            }
            else if (desired is not null && permanent is not null && !permanent.SameAs(desired))
            {
                await _client.UpdatePermanentPolicyAsync(desired, cancellationToken);
                changes.Add($"updated permanent policy '{name}'");
                reloadNeeded |= permanent.Target != desired.Target || permanent.Priority != desired.Priority;
            }
            else if (desired is null && permanent is not null)
            {
                await _client.RemovePermanentPolicyAsync(name, cancellationToken);
                changes.Add($"removed permanent policy '{name}'");
                reloadNeeded = true;
            }
        }
        if (plan.Zone is null && permanentZone is not null)
        {
            await _client.RemovePermanentZoneAsync(Options.ZoneName, cancellationToken);
            changes.Add($"removed permanent zone '{Options.ZoneName}'");
            reloadNeeded = true;
        }

        if (!reloadNeeded)
        {
            // A zone or policy missing from (or left in) the runtime can only be fixed by a reload.
            string[] zones = await _client.GetZonesAsync(cancellationToken);
            string[] policies = await _client.GetPoliciesAsync(cancellationToken);
            reloadNeeded = (plan.Zone is not null) != zones.Contains(Options.ZoneName) ||
                           Policies(plan).Any(p => (p.Desired is not null) != policies.Contains(p.Name));
        }
        if (reloadNeeded)
        {
            await _client.ReloadAsync(cancellationToken);
            changes.Add("reloaded firewalld");
        }
        else
        {
            if (plan.Zone is { } runtimeZone && !RuntimeZoneSame(runtimeZone, await _client.GetZoneAsync(runtimeZone.Name, cancellationToken)))
            {
                await _client.SetZoneAsync(runtimeZone, cancellationToken);
                changes.Add($"updated runtime zone '{runtimeZone.Name}'");
            }
            foreach ((string name, FirewalldPolicy? desired) in Policies(plan))
            {
                if (desired is not null && !RuntimePolicySame(desired, await _client.GetPolicyAsync(name, cancellationToken)))
                {
                    await _client.SetPolicyAsync(desired, cancellationToken);
                    changes.Add($"updated runtime policy '{name}'");
                }
            }
        }
        return new FirewalldApplyResult(changes, stopwatch.Elapsed);
    }

    private static bool RuntimeZoneSame(FirewalldZone desired, FirewalldZone actual) =>
        FirewalldZone.SetEqual(desired.Interfaces, actual.Interfaces) && FirewalldZone.SetEqual(desired.Sources, actual.Sources) &&
        FirewalldZone.SetEqual(desired.Services, actual.Services) && FirewalldZone.SetEqual(desired.RichRules, actual.RichRules) &&
        desired.Forward == actual.Forward;

    private static bool RuntimePolicySame(FirewalldPolicy desired, FirewalldPolicy actual) =>
        FirewalldZone.SetEqual(desired.IngressZones, actual.IngressZones) && FirewalldZone.SetEqual(desired.EgressZones, actual.EgressZones) &&
        FirewalldZone.SetEqual(desired.RichRules, actual.RichRules);

    private static void Compare<T>(string what, string name, T? desired, T? actual, Func<T, T, bool> same, List<string> differences)
        where T : class
    {
        if (desired is null && actual is not null)
        {
            differences.Add($"{what} '{name}' exists but Appliance has no stack");
        }
        else if (desired is not null && actual is null)
        {
            differences.Add($"{what} '{name}' is missing");
        }
        else if (desired is not null && actual is not null && !same(desired, actual))
        {
            differences.Add($"{what} '{name}' differs: has {actual}, wants {desired}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopWatchingAsync();
        await _client.DisposeAsync();
        _gate.Dispose();
        _signal.Dispose();
        _stopping.Dispose();
    }
}
