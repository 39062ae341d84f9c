using System.Net.Sockets;
using System.Security.Claims;
using Microsoft.AspNetCore.Connections.Features;

namespace Appliance.Web.Hosting;

/// <summary>
/// A request that came over the root-only unix socket is from root on this box (the socket is mode 0600 in a
/// 0700 directory), so it is authenticated as <see cref="UserName"/> with authentication type
/// <see cref="AuthenticationType"/>. Requests over TCP are left to the web UI's authentication.
/// </summary>
public static class UnixSocketIdentity
{
    /// <summary>
    /// A request the daemon forwarded to the web UI's process (Hosting/UiProxy) came over that process's own unix socket, whoever
    /// made it; this feature, which the UI sets on every request (Ui/UiHost), says whether the daemon's caller was on the daemon's
    /// socket (root) or came over TCP.
    /// </summary>
    public sealed record ForwardedCaller(bool OnDaemonSocket);

    public const string AuthenticationType = "unix-socket";
    public const string UserName = "root";

    /// <summary>Whether the caller is on the daemon's socket: as the web UI's process was told (<see cref="ForwardedCaller"/>), else by the connection.</summary>
    public static bool IsUnixSocket(HttpContext context) => context.Features.Get<ForwardedCaller>() is { } forwarded
        ? forwarded.OnDaemonSocket
        : context.Features.Get<IConnectionSocketFeature>()?.Socket.AddressFamily == AddressFamily.Unix;

    public static IApplicationBuilder UseUnixSocketIdentity(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (IsUnixSocket(context))
        {
            context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, UserName), new Claim(ClaimTypes.Role, "admin")], AuthenticationType));
        }
        await next(context);
    });

    /// <summary>An endpoint filter: over TCP an unauthenticated request gets 401 (the web UI's authentication ran earlier in the pipeline).</summary>
    public static async ValueTask<object?> RequireCaller(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        HttpContext context = invocation.HttpContext;
        if (!IsUnixSocket(context) && context.User.Identity?.IsAuthenticated != true)
        {
            return JsonBody.Result(new ErrorResponse("sign in first: this endpoint needs a session or an API token (or use the CLI on the box, over the unix socket)"),
                StatusCodes.Status401Unauthorized);
        }
        return await next(invocation);
    }
}
