using System.Diagnostics.CodeAnalysis;
using System.Net;
using Appliance.Web.Hosting;
using Appliance.Web.Ui.Bridge;
using Yarp.ReverseProxy.Forwarder;

namespace Appliance.Web.Ui;

/// <summary>How the daemon started the web UI's process (<c>appliance ui</c>).</summary>
/// <param name="SocketPath">Where the UI listens: the daemon forwards the UI's requests there (Hosting/UiProxy).</param>
/// <param name="DaemonSocketPath">The daemon's socket, through which the UI reaches the engine, accounts and setup (Ui/Bridge).</param>
/// <param name="StateDir">The daemon's state directory: the UI's key ring, certificate and alert settings are there.</param>
/// <param name="StopAtEndOfInput">Stop when standard input ends: the daemon holds the other end, so the UI goes with it.</param>
internal sealed record UiHostOptions(string SocketPath, string DaemonSocketPath, string StateDir, bool StopAtEndOfInput);

/// <summary>
/// The web UI's process: pages, REST API, sign-in, on a root-only unix socket that only the daemon talks to. The daemon keeps the
/// TCP listeners (and TLS) and the state; this process keeps nothing of its own but the sign-in throttle, and ends when the daemon
/// stops it, goes idle, or exits (<see cref="Hosting.UiProcess"/>).
/// </summary>
[RequiresUnreferencedCode(WebUiFeature.NotTrimmable)]
[RequiresDynamicCode(WebUiFeature.NotTrimmable)]
internal static class UiHost
{
    public static async Task<int> RunAsync(UiHostOptions options, CancellationToken cancellationToken)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        DaemonLog.Quiet(builder.Logging);
        builder.Configuration["Appliance:StateDir"] = options.StateDir;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenUnixSocket(options.SocketPath));
        builder.Services.AddDaemonBridge(options.DaemonSocketPath);
        builder.Services.AddApplianceUiCore();
        builder.Services.AddApplianceUiWeb();
        builder.Services.AddHttpForwarder();
        WebApplication app = builder.Build();
        app.Use(FromDaemon);
        app.UseUnixSocketIdentity();
        app.MapApplianceUi();
        // The daemon's own API over TCP, for a signed-in session or an API token (the CLI's, on the box, is the unix socket).
        using var daemon = new HttpMessageInvoker(UnixSocketConnector.CreateHandler(options.DaemonSocketPath));
        app.Map("/api/daemon/{**rest}", async (HttpContext context, IHttpForwarder forwarder) =>
        {
            if (context.Request.Path.StartsWithSegments(UiBridgeApi.Prefix))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound; // the daemon's API for this process, not for clients
                return;
            }
            await forwarder.SendAsync(context, "http://appliance/", daemon, ForwarderRequestConfig.Empty, HttpTransformer.Empty);
        });

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        File.Delete(options.SocketPath);
        await app.StartAsync(stop.Token);
        UnixSocketListener.Secure(options.SocketPath);
        if (options.StopAtEndOfInput)
        {
            _ = Task.Run(async () =>
            {
                using Stream input = Console.OpenStandardInput();
                byte[] buffer = new byte[64];
                while (await input.ReadAsync(buffer, stop.Token) > 0)
                {
                }
                await stop.CancelAsync();
            }, stop.Token);
        }
        try
        {
            await app.WaitForShutdownAsync(stop.Token);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            File.Delete(options.SocketPath);
        }
        return 0;
    }

    /// <summary>
    /// A request as the client made it to the daemon, from the headers the daemon set (Hosting/UiProxy): its address and scheme,
    /// and a unix socket caller (root: Hosting/UnixSocketIdentity, exempt from the antiforgery check) only when it came over the
    /// daemon's socket; every other request is not one here, although the daemon's came over this process's socket.
    /// </summary>
    private static Task FromDaemon(HttpContext context, RequestDelegate next)
    {
        IHeaderDictionary headers = context.Request.Headers;
        string? client = headers[UiProxy.ClientHeader];
        context.Features.Set(new UnixSocketIdentity.ForwardedCaller(client == UiProxy.UnixSocketCaller));
        if (IPAddress.TryParse(client, out IPAddress? address))
        {
            context.Connection.RemoteIpAddress = address;
        }
        if (headers.TryGetValue(UiProxy.SchemeHeader, out var scheme) && scheme.ToString() is "https" or "http")
        {
            context.Request.Scheme = scheme.ToString();
        }
        headers.Remove(UiProxy.ClientHeader);
        headers.Remove(UiProxy.SchemeHeader);
        return next(context);
    }
}
