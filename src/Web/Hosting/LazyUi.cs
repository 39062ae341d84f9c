using System.Diagnostics.CodeAnalysis;
using Appliance.Web.Ui;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Appliance.Web.Hosting;

/// <summary>
/// The web UI and REST API of <c>appliance serve</c>, built on the first request that needs them rather than at start:
/// a second, in-process <see cref="WebApplication"/> (pages, authentication, antiforgery, data protection, Blazor,
/// OpenAPI: <see cref="UiSetup.AddApplianceUiWeb"/>) whose server is this class: the daemon's Kestrel hands it each
/// request's features. A NAS is mostly left alone: until someone opens the UI, its ~26 MB and ~250 ms of start-up are
/// not spent (docs/performance.md). The UI's container shares the daemon's services: every singleton the daemon
/// registered is forwarded to the daemon's instance, so both see the same engine, state, accounts and setup token.
/// </summary>
[RequiresUnreferencedCode(WebUiFeature.NotTrimmable)]
[RequiresDynamicCode(WebUiFeature.NotTrimmable)]
internal sealed class LazyUi : IServer
{
    private readonly IServiceProvider _daemon;
    private readonly IReadOnlyList<ServiceDescriptor> _registrations;
    private readonly int _firstShared;
    private readonly Lock _lock = new();
    private Task<WebApplication>? _app;
    private Func<IFeatureCollection, Task>? _process;
    private IServiceScopeFactory? _scopes;

    /// <param name="daemon">The daemon's services.</param>
    /// <param name="registrations">Every registration of the daemon's container, in order.</param>
    /// <param name="firstShared">Where the daemon's own and the UI's core registrations start (forwarded into the UI's container).</param>
    public LazyUi(IServiceProvider daemon, IReadOnlyList<ServiceDescriptor> registrations, int firstShared)
    {
        _daemon = daemon;
        _registrations = registrations;
        _firstShared = firstShared;
    }

    /// <summary>Serves one request of the daemon's Kestrel through the UI, building it first if no request did yet.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        Task<WebApplication> app;
        lock (_lock)
        {
            app = _app is null or { IsFaulted: true } or { IsCanceled: true } ? _app = BuildAsync() : _app;
        }
        await app;
        // The UI's own layer over the connection's features: what it sets (its request services, user, endpoint)
        // stays its own; the request, response, connection and upgrade features are the daemon's Kestrel's.
        var features = new FeatureCollection(context.Features);
        await using var services = new ScopedRequestServices(_scopes!);
        features.Set<IServiceProvidersFeature>(services);
        await _process!(features);
    }

    private async Task<WebApplication> BuildAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddConfiguration(_daemon.GetRequiredService<IConfiguration>());
        builder.Services.Replace(ServiceDescriptor.Singleton(_daemon.GetRequiredService<ILoggerFactory>()));
        builder.Services.Replace(ServiceDescriptor.Singleton<IServer>(this));
        for (int i = _firstShared; i < _registrations.Count; i++)
        {
            ServiceDescriptor registration = _registrations[i];
            if (registration.ServiceType != typeof(IHostedService) && !registration.ServiceType.ContainsGenericParameters
                && registration.ServiceType != typeof(IConfigureOptions<KestrelServerOptions>))
            {
                builder.Services.Add(Forward(registration, i));
            }
        }
        builder.Services.AddApplianceUiWeb();
        WebApplication app = builder.Build();
        app.UseUnixSocketIdentity();
        app.MapApplianceUi();
        app.MapDaemonApi();
        _scopes = app.Services.GetRequiredService<IServiceScopeFactory>();
        await app.StartAsync();
        return app;
    }

    /// <summary>
    /// A daemon singleton is the daemon's instance in the UI's container too; a scoped or transient service is made anew
    /// there, from the forwarded singletons. The UI's container is never disposed: it would dispose the daemon's
    /// singletons it was handed (the daemon disposes them, after the UI stopped).
    /// </summary>
    private ServiceDescriptor Forward(ServiceDescriptor registration, int at)
    {
        if (registration.Lifetime != ServiceLifetime.Singleton)
        {
            return registration;
        }
        // The daemon resolves several registrations of one type in registration order; the host's own ones come first.
        Type type = registration.ServiceType;
        object? key = registration.ServiceKey;
        int index = Enumerable.Range(0, at).Count(i => _registrations[i].ServiceType == type && Equals(_registrations[i].ServiceKey, key));
        return key is null
            ? ServiceDescriptor.Singleton(type, _ => _daemon.GetServices(type).ElementAt(index)!)
            : ServiceDescriptor.KeyedSingleton(type, key, (_, _) => _daemon.GetKeyedServices(type, key).ElementAt(index)!);
    }

    /// <summary>Stops the UI if it was built (its circuits and hosted services); the daemon's services are the daemon's to dispose.</summary>
    public async Task StopUiAsync(CancellationToken cancellationToken)
    {
        if (_app is { IsCompletedSuccessfully: true } built)
        {
            await (await built).StopAsync(cancellationToken);
        }
    }

    IFeatureCollection IServer.Features { get; } = new FeatureCollection();

    Task IServer.StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
    {
        _process = async features =>
        {
            TContext context = application.CreateContext(features);
            try
            {
                await application.ProcessRequestAsync(context);
            }
            catch (Exception e)
            {
                application.DisposeContext(context, e);
                throw;
            }
            application.DisposeContext(context, null);
        };
        return Task.CompletedTask;
    }

    Task IServer.StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    void IDisposable.Dispose()
    {
    }

    /// <summary>A request's services from the UI's container, its scope made on first use and disposed with the request.</summary>
    private sealed class ScopedRequestServices(IServiceScopeFactory scopes) : IServiceProvidersFeature, IAsyncDisposable
    {
        private AsyncServiceScope? _scope;
        private IServiceProvider? _replaced;

        public IServiceProvider RequestServices
        {
            get => _replaced ?? (_scope ??= scopes.CreateAsyncScope()).ServiceProvider;
            set => _replaced = value;
        }

        public ValueTask DisposeAsync() => _scope?.DisposeAsync() ?? ValueTask.CompletedTask;
    }
}
