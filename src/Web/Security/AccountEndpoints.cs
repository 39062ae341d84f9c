using System.Diagnostics.CodeAnalysis;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;

namespace Appliance.Web.Security;

/// <summary>
/// The form posts of the sign-in, sign-out and first-run setup pages. Antiforgery is validated for every
/// one (form binding); failures redirect back with the same answer whatever the cause.
/// </summary>
public static partial class AccountEndpoints
{
    [RequiresUnreferencedCode(Hosting.WebUiFeature.NotTrimmable)]
    [RequiresDynamicCode(Hosting.WebUiFeature.NotTrimmable)]
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        RouteGroupBuilder account = endpoints.MapGroup("/account").ExcludeFromDescription();
        // The form posts stay on the request delegate factory (handlers passed as Delegate, which the request delegate
        // generator cannot see through): the generated code reads the form before it looks at the antiforgery result, and a
        // post without a token then fails with a 500 instead of the factory's 400.
        Delegate login = LoginAsync, setup = SetupAsync;
#pragma warning disable RDG002 // "endpoint will be generated at runtime": wanted here, see above
        account.MapPost("/login", login).AllowAnonymous();
        account.MapPost("/setup", setup).AllowAnonymous();
#pragma warning restore RDG002
        account.MapPost("/logout", async (HttpContext context, IAntiforgery antiforgery) =>
        {
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                return Results.BadRequest();
            }
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect("/login");
        });
        return endpoints;
    }

    private static async Task<IResult> LoginAsync(
        [FromForm(Name = "Name")] string? name, [FromForm(Name = "Password")] string? password, [FromForm(Name = "ReturnUrl")] string? returnUrl,
        HttpContext context, AccountService accounts, LoginThrottle throttle, ILoggerFactory loggers)
    {
        name ??= "";
        returnUrl = IsLocal(returnUrl) ? returnUrl! : "/";
        var address = context.Connection.RemoteIpAddress;
        bool blocked = throttle.IsBlocked(name, address);
        // Always verify (also when blocked or the name is unknown) so every failure costs the same.
        AdminAccount? account = await accounts.VerifyAsync(name, password ?? "", context.RequestAborted);
        if (blocked || account is null)
        {
            throttle.RecordFailure(name, address);
            LogFailedSignIn(loggers.CreateLogger("Appliance.Web.Security"), address?.ToString() ?? "?", blocked);
            return Results.LocalRedirect($"/login?failed=1&returnUrl={Uri.EscapeDataString(returnUrl)}");
        }
        throttle.RecordSuccess(name);
        await SignInAsync(context, account.Name);
        return Results.LocalRedirect(returnUrl);
    }

    private static async Task<IResult> SetupAsync(
        [FromForm(Name = "Token")] string? token, [FromForm(Name = "Name")] string? name, [FromForm(Name = "Password")] string? password,
        [FromForm(Name = "Confirm")] string? confirm, HttpContext context, ISetupGate gate, AccountService accounts, LoginThrottle throttle)
    {
        if (password != confirm)
        {
            return Results.LocalRedirect("/setup?error=confirm");
        }
        if (throttle.IsBlocked("setup", context.Connection.RemoteIpAddress) || !await gate.TryConsumeAsync(token ?? "", context.RequestAborted))
        {
            throttle.RecordFailure("setup", context.Connection.RemoteIpAddress);
            return Results.LocalRedirect("/setup?error=token");
        }
        string? problem = await accounts.CreateAccountAsync(name ?? "", password ?? "", context.RequestAborted);
        if (problem is not null)
        {
            await gate.ReleaseAsync(CancellationToken.None);
            return Results.LocalRedirect($"/setup?error={Uri.EscapeDataString(problem)}");
        }
        await SignInAsync(context, (name ?? "").Trim());
        return Results.LocalRedirect("/");
    }

    private static Task SignInAsync(HttpContext context, string name)
        => context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], CookieAuthenticationDefaults.AuthenticationScheme)),
            new AuthenticationProperties { IsPersistent = false });

    private static bool IsLocal(string? url)
        => !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'));

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Failed sign-in from {Address} (throttled: {Throttled})")]
    private static partial void LogFailedSignIn(ILogger logger, string address, bool throttled);
}
