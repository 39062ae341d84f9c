using Appliance.Netfilter.Backends;
using Appliance.Netfilter.Firewalld;
using Appliance.Netfilter.Intent;
using Appliance.Netfilter.Linux;
using Appliance.Netfilter.Nftables;
using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Firewall;
using System.Net;
using System.Text.Json;
using NetworkSettings = Appliance.Web.Ui.Backend.NetworkSettings;
using SettingsValidator = Appliance.Web.Ui.Backend.SettingsValidator;

namespace Appliance.Web.Hosting;

/// <summary>
/// The daemon's firewall: the backend chosen by <c>--firewall-backend</c> (auto: firewalld when it
/// runs, else nftables), the owner's settings (LAN subnets; the admin UI and SSH reachable from the
/// LAN) and a <see cref="FirewallCoordinator"/> that the engine asks to open each stack's subnet and
/// published ports before its containers start. At start the rules of the stacks that kept running
/// are applied again (<see cref="FirewallStartup"/>).
/// </summary>
internal static class FirewallServices
{
    public const int SshPort = 22;

    public static void AddApplianceFirewall(this IServiceCollection services, DaemonOptions options, NetworkNamespace host)
    {
        services.AddSingleton(sp =>
        {
            var nftables = new NftablesBackendOptions
            {
                Namespace = host,
                StateDirectory = Path.Combine(options.RunDir, "firewall"),
                LoggerFactory = sp.GetRequiredService<ILoggerFactory>(),
                ConfirmWindow = options.ConfirmWindow,
            };
            IFirewallBackend backend = FirewallBackends.CreateAsync(options.FirewallBackend, nftables, new FirewalldOptions())
                .GetAwaiter().GetResult();
            var coordinator = new FirewallCoordinator(backend, WithNetworkSettings(Settings(options), StoredNetworkSettings(options)),
                Path.Combine(options.StateDir, "firewall", "stacks.json"), nftables.ConfirmWindow);
            EventLog events = sp.GetRequiredService<EventLog>();
            coordinator.ExposureRolledBack += change => _ = events.PublishAsync("firewall", change.Stack, null,
                $"exposure rolled back: {change.Description} was not confirmed in time");
            coordinator.RollBackFailed += (id, e) => _ = events.PublishAsync(EventKind.Alert, null, null,
                $"rolling back the unconfirmed exposure change {id} failed: {e.Message}", "the next daemon start rolls it back");
            return coordinator;
        });
        services.AddSingleton<IStackFirewall>(sp => sp.GetRequiredService<FirewallCoordinator>());
        services.AddHostedService<FirewallStartup>();
    }

    /// <summary>The owner's part of the intent: deny-by-default input, the admin UI and SSH from the LAN.</summary>
    public static FirewallIntent Settings(DaemonOptions options)
    {
        var hostServices = new List<HostService> { new() { Name = HostService.SshName, Port = SshPort, AllowedFrom = Exposure.Lan } };
        if (options.Port > 0)
        {
            hostServices.Add(new HostService { Name = HostService.AdminUiName, Port = options.Port, AllowedFrom = Exposure.Lan });
        }
        return FirewallIntent.Empty with { HostServices = hostServices };
    }

    /// <summary>The owner's network settings saved by the UI (STATE/network-settings.json), or null when none were saved.</summary>
    public static NetworkSettings? StoredNetworkSettings(DaemonOptions options)
    {
        string path = Path.Combine(options.StateDir, "network-settings.json");
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            NetworkSettings? settings = JsonSerializer.Deserialize(File.ReadAllText(path), Ui.Backend.NetworkSettingsJson.Default.NetworkSettings);
            return settings is not null && SettingsValidator.Validate(settings) is null && settings.LanSubnets.Count > 0 ? settings : null;
        }
        catch (JsonException e)
        {
            throw new DaemonStartException($"{path}: the saved network settings cannot be read ({e.Message}); fix or delete the file", e);
        }
    }

    /// <summary>The owner's part of the intent with the UI's network settings: the LAN subnets, and who may reach the admin UI (empty: the LAN).</summary>
    public static FirewallIntent WithNetworkSettings(FirewallIntent intent, NetworkSettings? settings)
    {
        if (settings is null)
        {
            return intent;
        }
        static IPNetwork Network(string entry) => entry.Contains('/') ? IPNetwork.Parse(entry) : new IPNetwork(IPAddress.Parse(entry), 32);
        Exposure admin = settings.AdminSources.Count == 0 ? Exposure.Lan : Exposure.FromSources(settings.AdminSources.Select(Network));
        return intent with
        {
            LanSubnets = [.. settings.LanSubnets.Select(Network)],
            HostServices = [.. intent.HostServices.Select(s => s.Name == HostService.AdminUiName ? s with { AllowedFrom = admin } : s)],
        };
    }
}

/// <summary>Applies the firewall once at daemon start, with the stored rules of the stacks still deployed.</summary>
internal sealed class FirewallStartup(FirewallCoordinator firewall, StackEngine engine, EventLog events, ILogger<FirewallStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> stacks = engine.ListStacks();
        try
        {
            FirewallApplyResult result = await firewall.RestoreAsync(stacks, cancellationToken);
            await events.PublishAsync("firewall", null, null,
                $"firewall applied through {firewall.BackendName} for {stacks.Count} stack(s)",
                result.Warnings.Count > 0 ? string.Join("; ", result.Warnings) : null, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The daemon keeps serving so the owner can see and fix it; the event says what failed.
            logger.LogError(e, "applying the firewall at start failed");
            await events.PublishAsync("firewall", null, null, $"applying the firewall through {firewall.BackendName} failed: {e.Message}",
                cancellationToken: cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
