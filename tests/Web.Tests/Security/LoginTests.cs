using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Appliance.Web.Tests.Support;

namespace Appliance.Web.Tests.Security;

public sealed class LoginTests
{
    [Fact]
    public async Task Login_UnknownUserAndWrongPassword_GetIdenticalAnswers()
    {
        await using UiServer server = await UiServer.StartAsync();
        using (var owner = new Session(server))
        {
            await owner.SetupAdminAsync();
        }
        using var a = new Session(server);
        using var b = new Session(server);
        using HttpResponseMessage unknown = await a.LoginAsync("nobody", "wrong password 1");
        using HttpResponseMessage wrong = await b.LoginAsync(Session.AdminName, "wrong password 1");
        Assert.Equal(unknown.StatusCode, wrong.StatusCode);
        Assert.Equal(unknown.Headers.Location, wrong.Headers.Location);
        Assert.Equal(await unknown.Content.ReadAsStringAsync(), await wrong.Content.ReadAsStringAsync());
        Assert.Equal(
            unknown.Headers.Select(h => h.Key).Where(k => k != "Date").Order(),
            wrong.Headers.Select(h => h.Key).Where(k => k != "Date").Order());
        Assert.Equal(HttpStatusCode.Redirect, unknown.StatusCode);
        Assert.StartsWith("/login?failed=1", unknown.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.DoesNotContain(a.Cookies.GetAllCookies(), c => c.Name == "appliance.auth");
    }

    [Fact]
    public async Task Logout_ThenSignInAgain_Works()
    {
        await using UiServer server = await UiServer.StartAsync();
        using var session = new Session(server);
        await session.SetupAdminAsync();
        string token = await session.FormTokenAsync("/settings");
        using HttpResponseMessage logout = await session.PostFormAsync("/account/logout", token);
        Assert.Equal("/login", logout.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Unauthorized, (await session.Client.GetAsync("/api/stacks")).StatusCode);
        using HttpResponseMessage wrong = await session.LoginAsync(Session.AdminName, "wrong password!");
        Assert.True(wrong.StatusCode == HttpStatusCode.Redirect, $"{wrong.StatusCode}: {string.Join("\n", server.LogLines)}");
        Assert.Contains("Sign-in failed", await session.Client.GetStringAsync(wrong.Headers.Location), StringComparison.Ordinal);
        using HttpResponseMessage right = await session.LoginAsync(Session.AdminName, Session.AdminPassword);
        Assert.Equal("/", right.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Login_RightPassword_SetsHttpOnlyStrictCookie()
    {
        await using UiServer server = await UiServer.StartAsync();
        using (var owner = new Session(server))
        {
            await owner.SetupAdminAsync();
        }
        using var session = new Session(server);
        using HttpResponseMessage response = await session.LoginAsync(Session.AdminName, Session.AdminPassword);
        Assert.Equal("/", response.Headers.Location!.OriginalString);
        string setCookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("appliance.auth=", StringComparison.Ordinal));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, (await session.Client.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task Login_AfterFiveFailures_LocksAccountEvenForRightPassword()
    {
        await using UiServer server = await UiServer.StartAsync();
        using (var owner = new Session(server))
        {
            await owner.SetupAdminAsync();
        }
        using var attacker = new Session(server);
        for (int i = 0; i < 5; i++)
        {
            using HttpResponseMessage r = await attacker.LoginAsync(Session.AdminName, $"guess {i}");
            Assert.StartsWith("/login?failed=1", r.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }
        using HttpResponseMessage right = await attacker.LoginAsync(Session.AdminName, Session.AdminPassword);
        Assert.StartsWith("/login?failed=1", right.Headers.Location!.OriginalString, StringComparison.Ordinal);
        // The lockout looks the same for a name that does not exist: it reveals nothing.
        for (int i = 0; i < 5; i++)
        {
            using HttpResponseMessage r = await attacker.LoginAsync("ghost", $"guess {i}");
        }
        using HttpResponseMessage ghost = await attacker.LoginAsync("ghost", "guess");
        Assert.Equal(right.Headers.Location, ghost.Headers.Location);
    }

    [Fact]
    public async Task Login_ManyAccountsFromOneAddress_BlocksTheAddress_AndForwardedForIsNotBelieved()
    {
        await using UiServer server = await UiServer.StartAsync(settings: new Dictionary<string, string?> { ["Appliance:MaxFailuresPerAddress"] = "6" });
        using (var owner = new Session(server))
        {
            await owner.SetupAdminAsync();
        }
        using var attacker = new Session(server);
        for (int i = 0; i < 6; i++)
        {
            attacker.Client.DefaultRequestHeaders.Remove("X-Forwarded-For");
            attacker.Client.DefaultRequestHeaders.Add("X-Forwarded-For", $"198.51.100.{i}");
            using HttpResponseMessage r = await attacker.LoginAsync($"user{i}", "guess");
            Assert.StartsWith("/login?failed=1", r.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }
        using HttpResponseMessage right = await attacker.LoginAsync(Session.AdminName, Session.AdminPassword);
        Assert.True(right.Headers.Location!.OriginalString.StartsWith("/login?failed=1", StringComparison.Ordinal), string.Join("\n", server.LogLines));
    }

    [Fact]
    public async Task Login_BehindTrustedProxy_CountsTheForwardedAddress()
    {
        await using UiServer server = await UiServer.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Appliance:MaxFailuresPerAddress"] = "6",
            ["Appliance:TrustedProxies:0"] = "127.0.0.1",
        });
        using (var owner = new Session(server))
        {
            await owner.SetupAdminAsync();
        }
        using var attacker = new Session(server);
        attacker.Client.DefaultRequestHeaders.Add("X-Forwarded-For", "198.51.100.7");
        for (int i = 0; i < 6; i++)
        {
            using HttpResponseMessage r = await attacker.LoginAsync($"user{i}", "guess");
        }
        using var user = new Session(server);
        user.Client.DefaultRequestHeaders.Add("X-Forwarded-For", "198.51.100.8");
        using HttpResponseMessage right = await user.LoginAsync(Session.AdminName, Session.AdminPassword);
        Assert.Equal("/", right.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task FormPost_WithoutAntiforgeryToken_Is400()
    {
        await using UiServer server = await UiServer.StartAsync();
        using var session = new Session(server);
        await session.SetupAdminAsync();
        using HttpResponseMessage login = await session.PostFormAsync("/account/login", null, ("Name", "admin"), ("Password", Session.AdminPassword));
        Assert.Equal(HttpStatusCode.BadRequest, login.StatusCode);
        using HttpResponseMessage logout = await session.PostFormAsync("/account/logout", null);
        Assert.Equal(HttpStatusCode.BadRequest, logout.StatusCode);
        using HttpResponseMessage api = await session.Client.PostAsJsonAsync("/api/tokens", new { name = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, api.StatusCode);
        string token = await session.FormTokenAsync("/settings");
        using var withToken = new HttpRequestMessage(HttpMethod.Post, "/api/tokens") { Content = JsonContent.Create(new { name = "x" }) };
        withToken.Headers.Add("RequestVerificationToken", token);
        using HttpResponseMessage accepted = await session.Client.SendAsync(withToken);
        Assert.True(accepted.StatusCode == HttpStatusCode.Created, $"{accepted.StatusCode} {await accepted.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task StateChange_FromForeignOrigin_Is403()
    {
        await using UiServer server = await UiServer.StartAsync();
        using var session = new Session(server);
        await session.SetupAdminAsync();
        string token = await session.FormTokenAsync("/settings");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/tokens") { Content = JsonContent.Create(new { name = "x" }) };
        request.Headers.Add("RequestVerificationToken", token);
        request.Headers.Add("Origin", "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await session.Client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task ForgedCookie_IsRejected()
    {
        await using UiServer server = await UiServer.StartAsync();
        using (var owner = new Session(server))
        {
            await owner.SetupAdminAsync();
        }
        // A cookie issued by another appliance (other keys) and a random one.
        await using UiServer other = await UiServer.StartAsync();
        using var elsewhere = new Session(other);
        await elsewhere.SetupAdminAsync();
        string foreign = elsewhere.Cookies.GetAllCookies().Single(c => c.Name == "appliance.auth").Value;
        foreach (string value in new[] { foreign, "CfDJ8" + new string('A', 300), "admin" })
        {
            using HttpClient client = server.CreateClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/stacks");
            request.Headers.Add("Cookie", $"appliance.auth={value}");
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(request)).StatusCode);
            using var page = new HttpRequestMessage(HttpMethod.Get, "/settings");
            page.Headers.Add("Cookie", $"appliance.auth={value}");
            using HttpResponseMessage response = await client.SendAsync(page);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Contains("/login", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task BlazorCircuit_FromForeignOrigin_IsRejected()
    {
        await using UiServer server = await UiServer.StartAsync();
        using var session = new Session(server);
        await session.SetupAdminAsync();
        string cookie = session.Cookies.GetCookieHeader(server.Address);

        using var sameOrigin = new HttpRequestMessage(HttpMethod.Post, "/_blazor/negotiate?negotiateVersion=1");
        sameOrigin.Headers.Add("Origin", server.Address.GetLeftPart(UriPartial.Authority));
        Assert.Equal(HttpStatusCode.OK, (await session.Client.SendAsync(sameOrigin)).StatusCode);
        using var foreign = new HttpRequestMessage(HttpMethod.Post, "/_blazor/negotiate?negotiateVersion=1");
        foreign.Headers.Add("Origin", "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await session.Client.SendAsync(foreign)).StatusCode);

        var wsUri = new UriBuilder(server.Address) { Scheme = "ws", Path = "/_blazor" }.Uri;
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Cookie", cookie);
        socket.Options.SetRequestHeader("Origin", "http://evil.example");
        socket.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(wsUri, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);
    }

    [Fact]
    public async Task ApiToken_AuthenticatesScripts_AndWrongTokenIs401()
    {
        await using UiServer server = await UiServer.StartAsync();
        using var session = new Session(server);
        await session.SetupAdminAsync();
        string form = await session.FormTokenAsync("/settings");
        using var create = new HttpRequestMessage(HttpMethod.Post, "/api/tokens") { Content = JsonContent.Create(new { name = "backup" }) };
        create.Headers.Add("RequestVerificationToken", form);
        using HttpResponseMessage created = await session.Client.SendAsync(create);
        Api.CreatedToken createdToken = (await created.Content.ReadFromJsonAsync<Api.CreatedToken>())!;
        string secret = createdToken.Secret;

        using HttpClient script = server.CreateClient();
        script.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        Assert.Equal(HttpStatusCode.OK, (await script.GetAsync("/api/stacks")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await script.PutAsJsonAsync("/api/settings", new { lanSubnets = new[] { "192.168.7.0/24" }, adminSources = Array.Empty<string>(), firewallBackend = "nftables" })).StatusCode);
        script.DefaultRequestHeaders.Authorization = new("Bearer", secret + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await script.GetAsync("/api/stacks")).StatusCode);
        script.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        Assert.Equal(HttpStatusCode.NoContent, (await script.DeleteAsync($"/api/tokens/{createdToken.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await script.GetAsync("/api/stacks")).StatusCode);
    }
}
