using Appliance.Netfilter.Linux;
using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Health;
using Appliance.Orchestrator.Health.Schedules;
using Appliance.Orchestrator.Reconcile;
using Appliance.Orchestrator.State;
using Quartz;

namespace Appliance.Web.Hosting;

/// <summary>
/// Registers the daemon's services: state store, event log, stacks and health monitor always; and, when an engine
/// (<see cref="IStackRuntime"/>) is registered before this call, the deployer, reconciler, health supervision and schedules
/// on Quartz (in-memory store: the schedules' last runs live in the state database, see <see cref="MisfirePolicy"/>).
/// </summary>
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
        services.AddSingleton<HealthMonitor>();
        services.AddSingleton<IStackModelReader>(new StackFileModelReader(options.StateDir));
        services.AddSingleton(new DeployerOptions());

        // Engine-dependent services resolve to null when no engine is registered; callers check.
        services.AddSingleton<IHealthProbe>(sp => sp.GetService<IStackRuntime>() is { } runtime
            ? new ContainerProbe(runtime, options.NetworkNamespacePath is { } ns ? new NetworkNamespace(ns) : null, sp.GetRequiredService<TimeProvider>())
            : null!);
        services.AddSingleton(sp => sp.GetService<IStackRuntime>() is { } runtime
            ? new HealthSupervisor(runtime, sp.GetRequiredService<IHealthProbe>(), sp.GetRequiredService<HealthMonitor>())
            : null!);
        services.AddSingleton(sp => sp.GetService<IStackRuntime>() is { } runtime
            ? new ScheduleRunner(sp.GetRequiredService<IStateStore>(), runtime, sp.GetRequiredService<EventLog>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetService<IImageUpdateChecker>())
            : null!);
        services.AddSingleton(sp => sp.GetService<IStackRuntime>() is not null
            ? new SupervisionScheduler(sp.GetRequiredService<ISchedulerFactory>(), sp.GetRequiredService<HealthSupervisor>(),
                sp.GetRequiredService<ScheduleRunner>(), sp.GetRequiredService<TimeProvider>())
            : null!);
        services.AddSingleton<IHealthGate>(sp => sp.GetService<IStackRuntime>() is not null
            ? new HealthGate(sp.GetRequiredService<IStackModelReader>(), sp.GetRequiredService<SupervisionScheduler>(), sp.GetRequiredService<HealthMonitor>())
            : null!);
        services.AddSingleton(sp => sp.GetService<IStackRuntime>() is { } runtime
            ? new Deployer(sp.GetRequiredService<StackRepository>(), runtime, sp.GetRequiredService<EventLog>(), sp.GetRequiredService<DeployerOptions>(),
                sp.GetService<IHealthGate>())
            : null!);
        services.AddSingleton(sp => sp.GetService<IStackRuntime>() is { } runtime
            ? new Reconciler(sp.GetRequiredService<StackRepository>(), runtime, sp.GetRequiredService<IStackModelReader>(), sp.GetRequiredService<EventLog>(),
                sp.GetRequiredService<TimeProvider>())
            : null!);
        services.AddTransient<HealthCheckJob>();
        services.AddTransient<ScheduledActionJob>();
        services.AddQuartz();
        services.AddQuartzHostedService(q => q.WaitForJobsToComplete = false);
        services.AddHostedService<DaemonLifecycle>();
        return services;
    }
}
