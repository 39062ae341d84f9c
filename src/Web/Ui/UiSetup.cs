using System.Diagnostics.CodeAnalysis;
using Appliance.Web.Api;
using Appliance.Web.Components;
using Appliance.Web.Security;
using Appliance.Web.Ui.Backend;
using Appliance.Web.Ui.Catalog;
using Appliance.Web.Ui.Editor;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Hosting.StaticWebAssets;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Appliance.Web.Ui;

/// <summary>Registers and maps the browser UI, the REST API and their security.</summary>
public static class UiSetup
{
    /// <summary>
    /// Registers the UI. Settings come from configuration section "Appliance" (<see cref="UiOptions"/>).
    /// A daemon with an engine registers its <see cref="IApplianceBackend"/> and <see cref="IStackValidator"/>
    /// before calling this; otherwise the UI shows that no engine is connected.
    /// </summary>
    [RequiresUnreferencedCode(Hosting.WebUiFeature.NotTrimmable)]
    [RequiresDynamicCode(Hosting.WebUiFeature.NotTrimmable)]
    public static IServiceCollection AddApplianceUi(this IServiceCollection services) =>
        services.AddApplianceUiCore().AddApplianceUiListeners().AddApplianceUiWeb();

    /// <summary>
    /// What both the daemon and the web UI's process use: the UI's options, the accounts and the setup gate, the catalog,
    /// alerts and disk space. In the UI's process (Ui/UiHost) the accounts, the gate and the backend are the daemon's, reached
    /// over its socket (Ui/Bridge, registered first); in the daemon they are its own.
    /// </summary>
    public static IServiceCollection AddApplianceUiCore(this IServiceCollection services)
    {
        services.AddOptions<UiOptions>().BindConfiguration(UiOptions.Section).Configure<IServiceProvider>((ui, sp) =>
        {
            // Under `appliance serve`, the UI keeps its files in the daemon's --state-dir unless configured otherwise.
            if (sp.GetService<IConfiguration>()?[$"{UiOptions.Section}:{nameof(UiOptions.StateDir)}"] is null
                && sp.GetService<Appliance.Web.Hosting.DaemonOptions>() is { } daemon)
            {
                ui.StateDir = daemon.StateDir;
            }
        });
        services.TryAddSingleton(TimeProvider.System);
        // Users and tokens live in the daemon's SQLite state when it registers one; else in STATE_DIR/accounts.json.
        services.TryAddSingleton<IAccountStore>(sp => sp.GetService<Appliance.Orchestrator.State.IStateStore>() is { } state
            ? new SqliteAccountStore(state)
            : ActivatorUtilities.CreateInstance<FileAccountStore>(sp));
        // `appliance serve` registers the daemon's backend (Hosting/DaemonBackend) first; a bare host shows that no engine is there.
        services.TryAddSingleton<IApplianceBackend, DisconnectedBackend>();
        services.TryAddSingleton<IStackValidator, StackLoaderValidator>();
        services.AddSingleton<AccountService>();
        services.AddSingleton<LoginThrottle>();
        services.TryAddSingleton<SetupGate>();
        services.TryAddSingleton<ISetupGate>(sp => sp.GetRequiredService<SetupGate>());
        services.AddSingleton<StackCatalog>();
        services.AddSingleton<Alerts.AlertSender>();
        services.AddSingleton<Storage.DiskSpace>();
        return services;
    }

    /// <summary>
    /// What the process that owns the TCP listeners registers, <c>appliance serve</c>: the HTTP and HTTPS listeners (with the
    /// certificate, <see cref="KestrelSetup"/>) and, at start, the first-run setup token in the log.
    /// </summary>
    public static IServiceCollection AddApplianceUiListeners(this IServiceCollection services)
    {
        services.AddHostedService<SetupAnnouncer>();
        services.AddTransient<IConfigureOptions<KestrelServerOptions>, KestrelSetup>();
        return services;
    }

    /// <summary>
    /// The pages, the REST API's security and what they need: authentication (cookie or API token), authorization,
    /// antiforgery, data protection and its key ring, Blazor's interactive server components, OpenAPI: the web UI's process
    /// (Ui/UiHost). Needs <see cref="AddApplianceUiCore"/>'s services in the same container.
    /// </summary>
    [RequiresUnreferencedCode(Hosting.WebUiFeature.NotTrimmable)]
    [RequiresDynamicCode(Hosting.WebUiFeature.NotTrimmable)]
    public static IServiceCollection AddApplianceUiWeb(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, PagesFirstMatcherPolicy>());
        Microsoft.AspNetCore.DataProtection.DataProtectionBuilderExtensions.SetApplicationName(services.AddDataProtection(), "appliance");
        services.AddSingleton<IConfigureOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>, DataProtectionSetup>();

        services.AddAuthentication("Appliance")
            .AddPolicyScheme("Appliance", "Cookie or bearer token", o => o.ForwardDefaultSelector = context
                => context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? ApiTokenAuthenticationHandler.SchemeName
                    : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null)
            .AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, o =>
            {
                o.Cookie.Name = "appliance.auth";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.LoginPath = "/login";
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                o.SlidingExpiration = true;
                o.Events.OnRedirectToLogin = context =>
                {
                    if (context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments("/_blazor")
                        || context.Request.Path.StartsWithSegments("/openapi"))
                    {
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        return Task.CompletedTask;
                    }
                    context.Response.Redirect(context.RedirectUri);
                    return Task.CompletedTask;
                };
            });
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        services.AddCascadingAuthenticationState();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "appliance.csrf";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<UiOptions>>((o, ui) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (string proxy in ui.Value.TrustedProxies)
            {
                if (System.Net.IPNetwork.TryParse(proxy, out var network))
                {
                    o.KnownIPNetworks.Add(network);
                }
                else
                {
                    o.KnownProxies.Add(System.Net.IPAddress.Parse(proxy));
                }
            }
        });
        services.AddOptions<Microsoft.AspNetCore.HttpsPolicy.HttpsRedirectionOptions>().Configure<IOptions<UiOptions>>((o, ui) => o.HttpsPort = ui.Value.HttpsPort);
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddOpenApi();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        // Last: authentication, antiforgery and the components each add data protection again, and with it ASP.NET Core's
        // hosted service that loads the key ring before Kestrel listens; KeyRingWarmUp loads it once the daemon serves.
        foreach (ServiceDescriptor frameworkWarmUp in services
            .Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.FullName == KeyRingWarmUp.FrameworkWarmUpType).ToList())
        {
            services.Remove(frameworkWarmUp);
        }
        services.AddHostedService<KeyRingWarmUp>();
        return services;
    }

    /// <summary>Maps pages, the REST API under /api, the OpenAPI document and the account form posts.</summary>
    [RequiresUnreferencedCode(Hosting.WebUiFeature.NotTrimmable)]
    [RequiresDynamicCode(Hosting.WebUiFeature.NotTrimmable)]
    public static WebApplication MapApplianceUi(this WebApplication app)
    {
        UiOptions ui = app.Services.GetRequiredService<IOptions<UiOptions>>().Value;
        if (ui.TrustedProxies.Length > 0)
        {
            // With no known proxy at all, the middleware would believe every X-Forwarded-For.
            app.UseForwardedHeaders();
        }
        if (ui.HttpsPort > 0)
        {
            app.UseHsts();
            app.UseHttpsRedirection();
        }
        app.UseMiddleware<OriginCheckMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        // Run from a build folder (not a publish), the framework's and packages' web assets
        // (e.g. _framework/blazor.web.js) are found through the static web assets manifest.
        StaticWebAssetsLoader.UseStaticWebAssets(app.Environment, app.Configuration);
        app.MapStaticAssets().AllowAnonymous();
        app.MapGet("/healthz", () => Results.Text("ok")).AllowAnonymous().ExcludeFromDescription();
        app.MapAccountEndpoints();
        app.MapOpenApi();
        RouteGroupBuilder api = app.MapGroup("/api");
        api.AddEndpointFilter<CookieAntiforgeryFilter>();
        api.MapStacksApi().MapAdminApi();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
