using Appliance.Netfilter.Linux;
using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Firewall;
using Appliance.Orchestrator.Images;
using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Runtime;
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

    private static void AddEngine(IServiceCollection services, DaemonOptions options)
    {
        NetworkNamespace host = options.NetworkNamespacePath is { } ns ? new NetworkNamespace(ns) : NetworkNamespace.Current;
        services.AddSingleton(_ => new ImageStore(new ImageStoreOptions
        {
            Root = Path.Combine(options.StateDir, "images"),
            Credentials = new RegistryCredentialStore(Path.Combine(options.StateDir, "registries.json")),
        }));
        services.AddSingleton<IImageStore>(sp => sp.GetRequiredService<ImageStore>());
        services.AddSingleton(_ => new NetworkManager(host));
        services.AddSingleton<IContainerRuntime>(_ => new RuncRuntime(new RuntimeOptions { StateDirectory = options.StateDir, RunDirectory = options.RunDir }));
        services.AddHostedService<LogRotationService>();
        services.AddApplianceFirewall(options, host);
        services.AddSingleton(sp => new StackEngine(new EngineOptions
            {
                StateDirectory = options.StateDir, RunDirectory = options.RunDir, HostNamespace = host, ContainerIdPrefix = options.ContainerPrefix,
                AfterStep = options.TestCrashPoint is { } crash ? (stack, _, step) => crash.After(stack, step.ToString()) : null,
            },
            sp.GetRequiredService<IContainerRuntime>(), sp.GetRequiredService<IImageStore>(), sp.GetRequiredService<NetworkManager>(),
            sp.GetRequiredService<IStackFirewall>()));
        services.AddSingleton<IStackRuntime>(sp =>
            new EngineStackRuntime(sp.GetRequiredService<StackEngine>(), options.StateDir));
        services.AddSingleton(sp => new ImageUpdates(sp.GetRequiredService<ImageStore>(), sp.GetRequiredService<StackRepository>(),
            sp.GetRequiredService<EventLog>(), options.StateDir));
        services.AddSingleton<IImageUpdateChecker>(sp => sp.GetRequiredService<ImageUpdates>());
    }

    public static IServiceCollection AddApplianceDaemon(this IServiceCollection services, DaemonOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IStateStore>(sp =>
            SqliteStateStore.OpenAsync(options.StateDir, sp.GetServices<StateMigration>()).GetAwaiter().GetResult());
        services.AddSingleton<EventLog>();
        services.AddHostedService<AlertForwarder>();
        services.AddHostedService<DiskSpaceMonitor>();
        services.AddHostedService<IdleMemoryTrim>();
        services.AddSingleton<StackRepository>();
        services.AddSingleton<HealthMonitor>();
        services.AddSingleton<IStackModelReader>(new StackFileModelReader(options.StateDir));
        services.AddSingleton(new DeployerOptions
        {
            VerifyTimeout = options.DeployTimeout,
            AfterStep = options.TestCrashPoint is { } crash ? (stack, _, step, _) => { crash.After(stack, step); return Task.CompletedTask; } : null,
        });
        services.AddSingleton<StackLocks>();
        if (options.Engine == "runc")
        {
            AddEngine(services, options);
        }

        // Engine-dependent services resolve to null when no engine is registered; callers check.
        services.AddSingleton<IHealthProbe>(sp => sp.GetService<IStackRuntime>() is { } runtime
            ? new ContainerProbe(runtime, options.NetworkNamespacePath is { } ns ? new NetworkNamespace(ns) : null, sp.GetRequiredService<TimeProvider>())
            : null!);
        services.AddSingleton(sp => sp.GetService<IStackRuntime>() is { } runtime
            ? new HealthSupervisor(runtime, sp.GetRequiredService<IHealthProbe>(), sp.GetRequiredService<HealthMonitor>(),
                sp.GetRequiredService<StackRepository>(), sp.GetRequiredService<StackLocks>())
            : null!);
        services.AddSingleton(sp => sp.GetService<IStackRuntime>() is { } runtime
            ? new ScheduleRunner(sp.GetRequiredService<IStateStore>(), runtime, sp.GetRequiredService<EventLog>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetService<IImageUpdateChecker>(), sp.GetRequiredService<StackRepository>(), sp.GetRequiredService<StackLocks>())
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
                sp.GetService<IHealthGate>(), sp.GetRequiredService<StackLocks>())
            : null!);
        services.AddSingleton(sp => sp.GetService<IStackRuntime>() is { } runtime
            ? new Reconciler(sp.GetRequiredService<StackRepository>(), runtime, sp.GetRequiredService<IStackModelReader>(), sp.GetRequiredService<EventLog>(),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<StackLocks>())
            : null!);
        services.AddSingleton(sp => sp.GetService<IStackRuntime>() is { } runtime
            ? new StackControl(sp.GetRequiredService<StackRepository>(), runtime, sp.GetRequiredService<EventLog>(), sp.GetRequiredService<StackLocks>())
            : null!);
        services.AddTransient<HealthCheckJob>();
        services.AddTransient<ScheduledActionJob>();
        services.AddQuartz();
        services.AddHostedService<SchedulerStarter>();
        services.AddHostedService<DaemonLifecycle>();
        services.AddSingleton<Ui.Backend.IApplianceBackend, DaemonBackend>(); // before AddApplianceUi, which only adds its own if none is there
        return services;
    }
}
