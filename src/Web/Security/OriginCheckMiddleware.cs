using Appliance.Web.Ui;
using Microsoft.Extensions.Options;

namespace Appliance.Web.Security;

/// <summary>
/// Refuses (403) a state-changing request or a Blazor circuit (including its WebSocket) whose Origin
/// (or, lacking one, Referer) is another site. Same origin = the scheme://host:port the request was sent to,
/// or one listed in <see cref="UiOptions.AllowedOrigins"/>. Requests with a bearer token carry no ambient
/// credentials and are not checked.
/// </summary>
public sealed partial class OriginCheckMiddleware(RequestDelegate next, IOptions<UiOptions> options, ILogger<OriginCheckMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        bool circuit = request.Path.StartsWithSegments("/_blazor");
        bool unsafeMethod = !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method));
        bool bearer = request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);
        if ((circuit || unsafeMethod) && !bearer)
        {
            string? origin = request.Headers.Origin.FirstOrDefault();
            if (string.IsNullOrEmpty(origin) && Uri.TryCreate(request.Headers.Referer.ToString(), UriKind.Absolute, out Uri? referer))
            {
                origin = referer.GetLeftPart(UriPartial.Authority);
            }
            if (!string.IsNullOrEmpty(origin) && !IsSameOrigin(origin, request))
            {
                LogForeignOrigin(logger, origin, request.Method, request.Path);
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsync("Cross-origin request refused.");
                return;
            }
            if (string.IsNullOrEmpty(origin) && circuit && context.WebSockets.IsWebSocketRequest)
            {
                // Browsers always send Origin on a WebSocket handshake; one without it is not from our page.
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }
        }
        await next(context);
    }

    private bool IsSameOrigin(string origin, HttpRequest request)
    {
        if (options.Value.AllowedOrigins.Any(o => string.Equals(o.TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }
        if (!Uri.TryCreate(origin, UriKind.Absolute, out Uri? uri))
        {
            return false;
        }
        string authority = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
        string host = request.Host.Value ?? "";
        bool defaultPort = request.Host.Port is null;
        return string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
            && (string.Equals(authority, host, StringComparison.OrdinalIgnoreCase)
                || (defaultPort && string.Equals(uri.Host, request.Host.Host, StringComparison.OrdinalIgnoreCase) && uri.IsDefaultPort));
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Refused {Method} '{Path}' from foreign origin '{Origin}'")]
    private static partial void LogForeignOrigin(ILogger logger, string origin, string method, string path);
}
