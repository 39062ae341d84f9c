using Appliance.Web.Alerts;
using System.Security.Claims;
using Appliance.Web.Security;
using Appliance.Web.Ui.Backend;

namespace Appliance.Web.Api;

/// <summary>/api/firewall, /api/schedules, /api/health-checks, /api/settings, /api/users, /api/tokens.</summary>
public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this RouteGroupBuilder api)
    {
        api.MapGet("/firewall", (IApplianceBackend backend, CancellationToken ct) => backend.GetFirewallAsync(ct)).WithTags("Firewall");
        api.MapPost("/firewall/explain", (FlowQuery flow, IApplianceBackend backend, CancellationToken ct) => backend.ExplainAsync(flow, ct)).WithTags("Firewall");
        api.MapPost("/firewall/changes/{id}/confirm", async (string id, IApplianceBackend backend, CancellationToken ct)
            => StacksApi.Outcome(await backend.ConfirmChangeAsync(id, ct))).WithTags("Firewall");
        api.MapGet("/schedules", (IApplianceBackend backend, CancellationToken ct) => backend.ListSchedulesAsync(ct)).WithTags("Health");
        api.MapGet("/health-checks", (IApplianceBackend backend, CancellationToken ct) => backend.ListHealthAsync(ct)).WithTags("Health");
        api.MapGet("/settings", (IApplianceBackend backend, CancellationToken ct) => backend.GetSettingsAsync(ct)).WithTags("Settings");
        api.MapPut("/settings", async (NetworkSettings settings, IApplianceBackend backend, CancellationToken ct) =>
        {
            OperationResult result = await backend.SaveSettingsAsync(settings, ct);
            return result.Succeeded ? Results.Ok(result) : StacksApi.Problem(400, result.Message);
        }).WithTags("Settings");

        api.MapGet("/users", async (IAccountStore store, CancellationToken ct)
            => (await store.ListAccountsAsync(ct)).Select(a => new UserListEntry(a.Name, a.CreatedAt))).WithTags("Users");
        api.MapPost("/users", async (CreateUserRequest request, AccountService accounts, CancellationToken ct) =>
        {
            string? problem = await accounts.CreateAccountAsync(request.Name, request.Password, ct);
            return problem is null ? Results.Created($"/api/users/{request.Name}", new { request.Name }) : StacksApi.Problem(400, problem);
        }).WithTags("Users");
        api.MapDelete("/users/{name}", async (string name, ClaimsPrincipal user, IAccountStore store, CancellationToken ct) =>
        {
            if (name == user.Identity?.Name)
            {
                return StacksApi.Problem(409, "You cannot remove your own account; sign in as another administrator to do that.");
            }
            return await store.RemoveAccountAsync(name, ct) ? Results.NoContent() : StacksApi.NotFound($"No user named '{name}'.");
        }).WithTags("Users");

        api.MapGet("/settings/alerts", (AlertSender alerts, CancellationToken ct) => alerts.GetAsync(ct)).WithTags("Settings");
        api.MapPut("/settings/alerts", async (AlertSettings settings, AlertSender alerts, CancellationToken ct) =>
            StacksApi.Outcome(await alerts.SaveAsync(settings, ct))).WithTags("Settings");
        api.MapPost("/settings/alerts/test", async (ClaimsPrincipal user, AlertSender alerts, CancellationToken ct) =>
            StacksApi.Outcome(await alerts.SendAsync("test", null, null, $"A test alert sent by {user.Identity?.Name ?? "a script"} over the API.", ct))).WithTags("Settings");
        api.MapGet("/tokens", async (IAccountStore store, CancellationToken ct)
            => (await store.ListTokensAsync(ct)).Select(t => new TokenListEntry(t.Id, t.Name, t.Owner, t.CreatedAt))).WithTags("Tokens");
        api.MapPost("/tokens", async (CreateTokenRequest request, ClaimsPrincipal user, AccountService accounts, CancellationToken ct) =>
        {
            (ApiToken token, string secret) = await accounts.CreateTokenAsync(user.Identity!.Name!, request.Name ?? "", ct);
            return Results.Created($"/api/tokens/{token.Id}", new CreatedToken(token.Id, token.Name, secret));
        }).WithTags("Tokens");
        api.MapDelete("/tokens/{id}", async (string id, IAccountStore store, CancellationToken ct)
            => await store.RemoveTokenAsync(id, ct) ? Results.NoContent() : StacksApi.NotFound($"No token '{id}'.")).WithTags("Tokens");
        return api;
    }
}
