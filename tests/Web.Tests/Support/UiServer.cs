using System.Net;
using Appliance.Web.Hosting;
using Appliance.Web.Security;
using Appliance.Web.Ui;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Appliance.Web.Tests.Support;

/// <summary>
/// The real UI (the registration and mapping of `appliance ui`) with the daemon's services in the same process, not behind
/// the bridge (BridgeDaemon tests that), on Kestrel at 127.0.0.1 on a free port,
/// with a temp state directory named with a test prefix, removed on dispose.
/// </summary>
public sealed class UiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private UiServer(WebApplication app, string stateDir, Uri address, List<string> log)
    {
        _app = app;
        LogLines = log;
        StateDir = stateDir;
        Address = address;
    }

    public string StateDir { get; }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    public WebApplication App => _app;

    public List<string> LogLines { get; }

    public static async Task<UiServer> StartAsync(
        Action<IServiceCollection>? services = null, IDictionary<string, string?>? settings = null, int httpsPort = 0, string? stateDir = null)
    {
        stateDir ??= Path.Combine(Path.GetTempPath(), $"tbw{Guid.NewGuid().ToString("N")[..6]}-state");
        Directory.CreateDirectory(stateDir);
        var log = new List<string>();
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "appliance",
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["Appliance:StateDir"] = stateDir;
        builder.Configuration["Appliance:HttpsPort"] = httpsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Configuration["Appliance:CatalogDir"] = Path.Combine(stateDir, "catalog");
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ListLoggerProvider(log));
        // The daemon's services (ServeCommand.RunAsync) and the UI's (Ui/UiHost) in one container, minus the sockets: daemon, then UI;
        // a test's own registrations (backend, clock) go in between, as a daemon's engine adapter would.
        builder.Services.AddApplianceDaemon(new DaemonOptions { StateDir = stateDir, Port = 0, SocketPath = Path.Combine(stateDir, "appliance.sock"), Engine = "none", FirewallBackend = "none" });
        services?.Invoke(builder.Services);
        builder.Services.AddApplianceUi();
        WebApplication app = builder.Build();
        app.UseUnixSocketIdentity();
        app.MapApplianceUi();
        app.MapDaemonApi();
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .First(a => a.StartsWith("http://", StringComparison.Ordinal));
        return new UiServer(app, stateDir, new Uri(address), log);
    }

    /// <summary>The setup token, as the daemon printed it (and as the gate holds it).</summary>
    public string SetupToken => _app.Services.GetRequiredService<SetupGate>().Token ?? throw new InvalidOperationException("Setup is not open.");

    /// <summary>A client that keeps cookies, does not follow redirects, and sends this server's Origin.</summary>
    public HttpClient CreateClient(CookieContainer? cookies = null)
    {
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            CookieContainer = cookies ?? new CookieContainer(),
            UseCookies = true,
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
        };
        return new HttpClient(handler) { BaseAddress = Address };
    }

    /// <summary>Run first on dispose, e.g. closing browser contexts whose circuits would hold the shutdown.</summary>
    public List<Func<Task>> BeforeStop { get; } = [];

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (Func<Task> before in BeforeStop)
            {
                await before();
            }
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        finally
        {
            Directory.Delete(StateDir, recursive: true);
        }
    }

    private sealed class ListLoggerProvider(List<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new ListLogger(lines, categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class ListLogger(List<string> lines, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                lock (lines)
                {
                    lines.Add($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
                }
            }
        }
    }
}
