using Appliance.Web.Security;
using Appliance.Web.Ui.Backend;

namespace Appliance.Web.Ui.Bridge;

/// <summary>Registers the UI process's side of the bridge to the daemon.</summary>
public static class DaemonBridgeServiceCollectionExtensions
{
    /// <summary>
    /// The daemon's backend, accounts and setup gate, reached over its unix socket at <paramref name="daemonSocketPath"/>:
    /// <see cref="RemoteBackend"/>, <see cref="RemoteAccountStore"/>, <see cref="RemoteSetupGate"/> (singletons), and a
    /// hosted service that asks the daemon at start whether it has an engine. Call before <c>AddApplianceUiCore</c>,
    /// which adds its in-process ones only where none is registered.
    /// </summary>
    public static IServiceCollection AddDaemonBridge(this IServiceCollection services, string daemonSocketPath)
    {
        services.AddSingleton(_ => new DaemonBridgeClient(daemonSocketPath));
        services.AddSingleton<RemoteBackend>();
        services.AddSingleton<IApplianceBackend>(sp => sp.GetRequiredService<RemoteBackend>());
        services.AddSingleton<IAccountStore, RemoteAccountStore>();
        services.AddSingleton<ISetupGate, RemoteSetupGate>();
        services.AddHostedService<DaemonBridgeStartup>();
        return services;
    }
}
