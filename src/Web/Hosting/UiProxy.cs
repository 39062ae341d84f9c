using System.Net;
using Yarp.ReverseProxy.Forwarder;

namespace Appliance.Web.Hosting;

/// <summary>
/// Forwards the web UI's requests (every TCP request but <c>/api/health</c>, and the REST API's over the daemon's socket) from
/// the daemon's Kestrel, which keeps the listeners and their TLS, to the UI's process over its unix socket
/// (<see cref="UiProcess"/>), WebSockets included: YARP's forwarder. The UI learns who asked and how from <see cref="ClientHeader"/> and <see cref="SchemeHeader"/>, which the daemon
/// sets and a client cannot (the daemon drops what a client sent under those names).
/// </summary>
internal sealed class UiProxy(UiProcess ui, ILoggerFactory loggers) : IDisposable
{
    /// <summary>The client's address, as the daemon's Kestrel saw it, or <see cref="UnixSocketCaller"/>.</summary>
    public const string ClientHeader = "X-Appliance-Client";

    /// <summary>In <see cref="ClientHeader"/>: the request came over the daemon's root-only unix socket (the REST API as root).</summary>
    public const string UnixSocketCaller = "unix-socket";

    /// <summary>"https" or "http": how the client reached the daemon.</summary>
    public const string SchemeHeader = "X-Appliance-Scheme";

    // HTTP/1.1 on the socket (WebSockets as upgrades); an open page's WebSocket is quiet at most Blazor's 15 s keep-alive.
    private static readonly ForwarderRequestConfig Config = new()
    {
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        ActivityTimeout = TimeSpan.FromMinutes(10),
    };

    // Both made at the first request for the UI, and typed object so that loading this class does not load System.Net.Http
    // (~1 MB resident) or YARP into a daemon nobody opens the UI of.
    private readonly Lock _lock = new();
    private object? _client;
    private ServiceProvider? _yarp;

    public async Task HandleAsync(HttpContext context)
    {
        UiProcess.Lease lease;
        try
        {
            lease = await ui.EnterAsync(context.RequestAborted);
        }
        catch (UiUnavailableException e)
        {
            await UnavailableAsync(context, e.Message);
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return; // the client gave up while the UI started
        }
        using (lease)
        {
            (HttpMessageInvoker client, IHttpForwarder forwarder) = Connection();
            ForwarderError error = await forwarder.SendAsync(context, "http://appliance-ui/", client, Config, Transformer.Instance);
            if (error != ForwarderError.None && !context.Response.HasStarted)
            {
                await UnavailableAsync(context, $"the web UI did not answer ({error}); reload the page to start it again");
            }
        }
    }

    private (HttpMessageInvoker, IHttpForwarder) Connection()
    {
        lock (_lock)
        {
            _client ??= new HttpMessageInvoker(UnixSocketConnector.CreateHandler(ui.SocketPath));
            // YARP's forwarder comes out of a container of its own, made now: registered with the daemon's, it would load YARP
            // at every start.
            _yarp ??= new ServiceCollection().AddSingleton(loggers).AddLogging().AddHttpForwarder().BuildServiceProvider();
            return ((HttpMessageInvoker)_client, _yarp.GetRequiredService<IHttpForwarder>());
        }
    }

    /// <summary>503 with what went wrong: a short page for a browser, JSON for the REST API.</summary>
    private static Task UnavailableAsync(HttpContext context, string why)
    {
        if (context.Request.Path.StartsWithSegments("/api"))
        {
            return JsonBody.Result(new ErrorResponse(why), StatusCodes.Status503ServiceUnavailable).ExecuteAsync(context);
        }
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.RetryAfter = "5";
        return context.Response.WriteAsync($"""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <title>Appliance: web UI unavailable</title></head>
            <body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem">
            <h1>The web UI is not available</h1><p>{WebUtility.HtmlEncode(why)}.</p>
            <p>Your stacks and their firewall rules are not affected: the daemon keeps running them. On the box,
            <code>appliance stack ls</code> and <code>journalctl -u appliance</code> work without the web UI.</p></body></html>
            """);
    }

    public void Dispose()
    {
        (_client as IDisposable)?.Dispose();
        _yarp?.Dispose();
    }

    /// <summary>Copies the request as it came (its Host too), replacing <see cref="ClientHeader"/> and <see cref="SchemeHeader"/>.</summary>
    private sealed class Transformer : HttpTransformer
    {
        public static readonly Transformer Instance = new();

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix,
            CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.Host = httpContext.Request.Host.Value;
            proxyRequest.Headers.Remove(ClientHeader);
            proxyRequest.Headers.Remove(SchemeHeader);
            if (UnixSocketIdentity.IsUnixSocket(httpContext))
            {
                proxyRequest.Headers.TryAddWithoutValidation(ClientHeader, UnixSocketCaller);
            }
            else if (httpContext.Connection.RemoteIpAddress is { } client)
            {
                proxyRequest.Headers.TryAddWithoutValidation(ClientHeader, client.ToString());
            }
            proxyRequest.Headers.TryAddWithoutValidation(SchemeHeader, httpContext.Request.Scheme);
        }
    }
}
