using Appliance.Web.Security;
using Appliance.Web.Tests.Support;
using Appliance.Web.Ui.Bridge;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Tests.Ui.Bridge;

public sealed class RemoteAccountStoreTests
{
    private static readonly DateTimeOffset T = new(2025, 3, 14, 15, 9, 26, TimeSpan.Zero);

    [Fact]
    public async Task AccountsAndTokens_RoundTripThroughTheDaemonsSqliteStore()
    {
        await using BridgeDaemon daemon = await BridgeDaemon.StartAsync();
        await using ServiceProvider ui = daemon.CreateUiServices();
        IAccountStore remote = ui.GetRequiredService<IAccountStore>();
        IAccountStore own = daemon.Services.GetRequiredService<IAccountStore>();
        Assert.IsType<RemoteAccountStore>(remote);
        Assert.IsType<SqliteAccountStore>(own);

        var admin = new AdminAccount { Name = "admin", PasswordHash = "v1$pbkdf2$AAAA$BBBB", CreatedAt = T };
        Assert.Empty(await remote.ListAccountsAsync());
        Assert.True(await remote.CreateAccountAsync(admin));
        Assert.False(await remote.CreateAccountAsync(admin with { Name = "ADMIN", PasswordHash = "other" }));
        Assert.True(await remote.CreateAccountAsync(new AdminAccount { Name = "bob ö", PasswordHash = "h2", CreatedAt = T.AddDays(1) }));
        Assert.Equal(admin, await remote.FindAccountAsync("Admin"));
        Assert.Null(await remote.FindAccountAsync("nobody & co"));
        Assert.Equal(await own.ListAccountsAsync(), await remote.ListAccountsAsync());
        Assert.Equal(["admin", "bob ö"], (await own.ListAccountsAsync()).Select(a => a.Name));

        var token = new ApiToken { Id = "t1", Name = "backup", Owner = "admin", SecretSha256 = "ab12", CreatedAt = T };
        var used = new ApiToken { Id = "t2", Name = "", Owner = "bob ö", SecretSha256 = "cd34", CreatedAt = T.AddHours(1) };
        await remote.AddTokenAsync(token);
        await remote.AddTokenAsync(used);
        Assert.Equal([token, used], await remote.ListTokensAsync());
        Assert.Equal([token, used], await own.ListTokensAsync());
        Assert.True(await remote.RemoveTokenAsync("t1"));
        Assert.False(await remote.RemoveTokenAsync("t1"));
        Assert.Equal([used], await own.ListTokensAsync());

        Assert.True(await remote.RemoveAccountAsync("bob ö"));
        Assert.False(await remote.RemoveAccountAsync("bob ö"));
        Assert.Equal([admin], await own.ListAccountsAsync());
        Assert.Empty(await remote.ListTokensAsync()); // the account's tokens went with it
    }
}
