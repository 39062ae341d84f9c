using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Reconcile;
using Appliance.Orchestrator.State;

namespace Appliance.Web.Hosting;

/// <summary>Registers the daemon's services: state store, event log, stacks and, when an engine is registered, the deployer and reconciler.</summary>
public static class DaemonServiceCollectionExtensions
{
    /// <summary>Adds tables of another area through the state store's migrations (module name of your own, versions 1, 2, 3, ...).
    /// Call before the app is built; the daemon applies them at start, in one transaction each.</summary>
    public static IServiceCollection AddStateMigration(this IServiceCollection services, StateMigration migration) =>
        services.AddSingleton(migration);

    public static IServiceCollection AddApplianceDaemon(this IServiceCollection services, DaemonOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IStateStore>(sp =>
            SqliteStateStore.OpenAsync(options.StateDir, sp.GetServices<StateMigration>()).GetAwaiter().GetResult());
        services.AddSingleton<EventLog>();
        services.AddSingleton<StackRepository>();
        services.AddSingleton(new DeployerOptions());
        services.AddSingleton(sp => sp.GetService<IStackRuntime>() is { } runtime
            ? new Deployer(sp.GetRequiredService<StackRepository>(), runtime, sp.GetRequiredService<EventLog>(), sp.GetRequiredService<DeployerOptions>(),
                sp.GetService<IHealthGate>())
            : null!);
        services.AddSingleton(sp => sp.GetService<IStackRuntime>() is { } runtime && sp.GetService<IStackModelReader>() is { } models
            ? new Reconciler(sp.GetRequiredService<StackRepository>(), runtime, models, sp.GetRequiredService<EventLog>(), sp.GetRequiredService<TimeProvider>())
            : null!);
        services.AddHostedService<DaemonLifecycle>();
        return services;
    }
}
