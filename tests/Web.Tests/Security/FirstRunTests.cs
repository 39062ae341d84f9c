using System.Net;
using Appliance.Web.Security;
using Appliance.Web.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Tests.Security;

public sealed class FirstRunTests
{
    [Fact]
    public async Task Start_WithoutAdmin_LogsSetupToken()
    {
        await using UiServer server = await UiServer.StartAsync();
        string token = server.SetupToken;
        Assert.Contains(server.LogLines, line => line.Contains("setup token", StringComparison.OrdinalIgnoreCase) && line.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Setup_WithToken_CreatesAdminAndClosesSetup()
    {
        await using UiServer server = await UiServer.StartAsync();
        using var session = new Session(server);
        await session.SetupAdminAsync();
        using HttpResponseMessage stacks = await session.Client.GetAsync("/api/stacks");
        Assert.Equal(HttpStatusCode.OK, stacks.StatusCode);
        Assert.False(server.Services.GetRequiredService<SetupGate>().IsOpen);
        Assert.Contains("Setup is closed", await session.Client.GetStringAsync("/setup"), StringComparison.Ordinal);

        using var intruder = new Session(server);
        string form = await intruder.FormTokenAsync("/login");
        using HttpResponseMessage again = await intruder.PostFormAsync("/account/setup", form,
            ("Token", "anything"), ("Name", "evil"), ("Password", "evil-password-123"), ("Confirm", "evil-password-123"));
        Assert.Equal("/setup?error=token", again.Headers.Location!.OriginalString);
        Assert.Single(await server.Services.GetRequiredService<IAccountStore>().ListAccountsAsync());
    }

    [Fact]
    public async Task Setup_WithDaemonStateStore_KeepsAccountsAndTokensInSqlite()
    {
        await using UiServer server = await UiServer.StartAsync();
        string stateDir = server.StateDir;
        var state = server.Services.GetRequiredService<Appliance.Orchestrator.State.IStateStore>();
        Assert.IsType<SqliteAccountStore>(server.Services.GetRequiredService<IAccountStore>());
        using var session = new Session(server);
        await session.SetupAdminAsync();
        (ApiToken token, string secret) = await server.Services.GetRequiredService<AccountService>().CreateTokenAsync(Session.AdminName, "ci");
        Assert.Equal(token.Id, (await server.Services.GetRequiredService<AccountService>().FindTokenAsync(secret))?.Id);
        long users = await state.ReadAsync(async (c, ct) =>
        {
            using var command = c.CreateCommand();
            command.CommandText = "SELECT count(*) FROM users WHERE name = 'admin' AND password_hash LIKE 'AQAAAA%'";
            return (long)(await command.ExecuteScalarAsync(ct))!;
        });
        Assert.Equal(1, users);
        Assert.False(File.Exists(Path.Combine(stateDir, "accounts.json")));
        using var again = new Session(server);
        Assert.Equal("/", (await again.LoginAsync("ADMIN", Session.AdminPassword)).Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Setup_WithWrongToken_CreatesNobody()
    {
        await using UiServer server = await UiServer.StartAsync();
        using var session = new Session(server);
        string form = await session.FormTokenAsync("/setup");
        using HttpResponseMessage response = await session.PostFormAsync("/account/setup", form,
            ("Token", server.SetupToken + "x"), ("Name", "admin"), ("Password", Session.AdminPassword), ("Confirm", Session.AdminPassword));
        Assert.Equal("/setup?error=token", response.Headers.Location!.OriginalString);
        Assert.Empty(await server.Services.GetRequiredService<IAccountStore>().ListAccountsAsync());
        Assert.True(server.Services.GetRequiredService<SetupGate>().IsOpen);
    }

    [Fact]
    public async Task Setup_AfterTenMinutes_IsClosed()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        await using UiServer server = await UiServer.StartAsync(services => services.AddSingleton<TimeProvider>(time));
        string token = server.SetupToken;
        time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        using var session = new Session(server);
        Assert.Contains("Setup is closed", await session.Client.GetStringAsync("/setup"), StringComparison.Ordinal);
        string form = await session.FormTokenAsync("/login");
        using HttpResponseMessage response = await session.PostFormAsync("/account/setup", form,
            ("Token", token), ("Name", "admin"), ("Password", Session.AdminPassword), ("Confirm", Session.AdminPassword));
        Assert.Equal("/setup?error=token", response.Headers.Location!.OriginalString);
        Assert.Empty(await server.Services.GetRequiredService<IAccountStore>().ListAccountsAsync());
    }

    [Fact]
    public async Task Setup_ShortPassword_RefusedAndTokenStillValid()
    {
        await using UiServer server = await UiServer.StartAsync();
        using var session = new Session(server);
        string form = await session.FormTokenAsync("/setup");
        using HttpResponseMessage response = await session.PostFormAsync("/account/setup", form,
            ("Token", server.SetupToken), ("Name", "admin"), ("Password", "short"), ("Confirm", "short"));
        Assert.StartsWith("/setup?error=", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
        await session.SetupAdminAsync();
    }

    [Fact]
    public async Task Restart_WithAdmin_OpensNoSetupAndKeepsAccounts()
    {
        string stateDir = Path.Combine(Path.GetTempPath(), $"tbw{Guid.NewGuid().ToString("N")[..6]}-state");
        await using (UiServer first = await UiServer.StartAsync(stateDir: stateDir))
        {
            using var session = new Session(first);
            await session.SetupAdminAsync();
            await first.App.StopAsync();
            Directory.CreateDirectory(stateDir + "-keep");
            foreach (string f in Directory.GetFiles(stateDir, "*", SearchOption.AllDirectories))
            {
                string target = Path.Combine(stateDir + "-keep", Path.GetRelativePath(stateDir, f));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(f, target);
            }
        }
        Directory.Move(stateDir + "-keep", stateDir);
        await using UiServer second = await UiServer.StartAsync(stateDir: stateDir);
        Assert.False(second.Services.GetRequiredService<SetupGate>().IsOpen);
        Assert.DoesNotContain(second.LogLines, l => l.Contains("setup token", StringComparison.OrdinalIgnoreCase));
        using var again = new Session(second);
        using HttpResponseMessage login = await again.LoginAsync(Session.AdminName, Session.AdminPassword);
        Assert.Equal("/", login.Headers.Location!.OriginalString);
    }
}
