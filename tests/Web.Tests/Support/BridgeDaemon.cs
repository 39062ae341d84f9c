using System.Net;
using Appliance.Web.Hosting;
using Appliance.Web.Ui;
using Appliance.Web.Ui.Backend;
using Appliance.Web.Ui.Bridge;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Appliance.Web.Tests.Support;

/// <summary>
/// The daemon as `appliance serve` composes it (daemon services with no engine and no firewall, the UI's core, the daemon API
/// and the UI bridge) on a unix socket in a temp state dir named with the test prefix "tbr", plus a TCP listener on 127.0.0.1 to
/// show what a caller that is not on the socket gets; and the UI process's side (<see cref="CreateUiServices"/>).
/// </summary>
public sealed class BridgeDaemon : IAsyncDisposable
{
    private WebApplication? _app;

    private BridgeDaemon(WebApplication app, string stateDir, string socketPath, Uri tcpAddress)
    {
        _app = app;
        StateDir = stateDir;
        SocketPath = socketPath;
        TcpAddress = tcpAddress;
    }

    public string StateDir { get; }

    public string SocketPath { get; }

    public Uri TcpAddress { get; }

    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("the daemon was stopped");

    /// <param name="backend">Replaces the daemon's backend (DaemonBackend), as an engine adapter would be registered.</param>
    public static async Task<BridgeDaemon> StartAsync(IApplianceBackend? backend = null)
    {
        string stateDir = Path.Combine(Path.GetTempPath(), $"tbr{Guid.NewGuid().ToString("N")[..6]}-state");
        Directory.CreateDirectory(stateDir);
        string socketPath = Path.Combine(stateDir, "appliance.sock");
        try
        {
            WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
            {
                ApplicationName = "appliance",
                ContentRootPath = AppContext.BaseDirectory,
                EnvironmentName = "Production",
            });
            builder.Configuration["Appliance:StateDir"] = stateDir;
            builder.Configuration["Appliance:HttpsPort"] = "0";
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.ListenUnixSocket(socketPath);
                kestrel.Listen(IPAddress.Loopback, 0);
            });
            builder.Services.AddApplianceDaemon(new DaemonOptions
            {
                StateDir = stateDir, Port = 0, SocketPath = socketPath, Engine = "none", FirewallBackend = "none",
            });
            if (backend is not null)
            {
                builder.Services.AddSingleton(backend);
            }
            builder.Services.AddApplianceUiCore().AddApplianceUiListeners();
            WebApplication app = builder.Build();
            app.UseUnixSocketIdentity();
            app.MapDaemonApi();
            app.MapUiBridge();
            await app.StartAsync();
            string tcp = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
                .First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
            return new BridgeDaemon(app, stateDir, socketPath, new Uri(tcp));
        }
        catch
        {
            Directory.Delete(stateDir, recursive: true);
            throw;
        }
    }

    /// <summary>The UI process's services as `appliance ui` composes them: the bridge first, then the UI's core (which only adds what is missing).</summary>
    public ServiceProvider CreateUiServices() => CreateUiServices(SocketPath, StateDir);

    public static ServiceProvider CreateUiServices(string socketPath, string stateDir)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Appliance:StateDir"] = stateDir, ["Appliance:HttpsPort"] = "0" }).Build());
        services.AddLogging();
        services.AddDaemonBridge(socketPath);
        services.AddApplianceUiCore();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>A raw client of the daemon's socket, for what RemoteBackend never sends (bad input).</summary>
    public HttpClient CreateSocketClient() =>
        new(UnixSocketConnector.CreateHandler(SocketPath)) { BaseAddress = UnixSocketConnector.BaseAddress };

    /// <summary>Stops the daemon (its socket goes away); the state dir stays until dispose.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            Directory.Delete(StateDir, recursive: true);
        }
    }
}
