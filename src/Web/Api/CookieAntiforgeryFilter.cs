using Microsoft.AspNetCore.Antiforgery;

namespace Appliance.Web.Api;

/// <summary>
/// A state-changing /api call authenticated by the browser's cookie must carry the antiforgery token
/// (header "RequestVerificationToken"); scripts with a bearer token and the CLI on the unix socket carry no
/// ambient browser credentials and need none.
/// </summary>
internal sealed class CookieAntiforgeryFilter(IAntiforgery antiforgery) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        HttpRequest request = context.HttpContext.Request;
        bool safe = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method);
        bool bearer = request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);
        // Over the root-only unix socket (the CLI) there is no browser and so no cross-site request.
        if (!safe && !bearer && !Hosting.UnixSocketIdentity.IsUnixSocket(context.HttpContext))
        {
            try
            {
                await antiforgery.ValidateRequestAsync(context.HttpContext);
            }
            catch (AntiforgeryValidationException)
            {
                return Results.Problem(
                    detail: "Missing or invalid antiforgery token: send the RequestVerificationToken header, or use an API token (Authorization: Bearer).",
                    statusCode: StatusCodes.Status400BadRequest);
            }
        }
        return await next(context);
    }
}
