using Appliance.Web.Hosting;
using Appliance.Web.Security;

namespace Appliance.Web.Ui.Bridge;

/// <summary>
/// The UI process's <see cref="IAccountStore"/>: the daemon's (its SQLite state), over the UI bridge. Nothing is cached
/// here: the daemon's store caches the token list every API call checks, and stays the only writer. Throws a
/// <see cref="DaemonBridgeException"/> when the daemon cannot be reached.
/// </summary>
public sealed class RemoteAccountStore(DaemonBridgeClient daemon) : IAccountStore
{
    public Task<IReadOnlyList<AdminAccount>> ListAccountsAsync(CancellationToken cancellationToken = default) =>
        daemon.GetAsync<IReadOnlyList<AdminAccount>>("/accounts", cancellationToken);

    public Task<AdminAccount?> FindAccountAsync(string name, CancellationToken cancellationToken = default) =>
        daemon.FindAsync<AdminAccount>(DaemonBridgeClient.WithQuery("/accounts/find", ("name", name)), cancellationToken);

    public async Task<bool> CreateAccountAsync(AdminAccount account, CancellationToken cancellationToken = default) =>
        (await daemon.SendAsync<AdminAccount, BridgeFlag>(HttpMethod.Post, "/accounts", account, cancellationToken)).Value;

    public async Task<bool> RemoveAccountAsync(string name, CancellationToken cancellationToken = default) =>
        (await daemon.DeleteAsync<BridgeFlag>(DaemonBridgeClient.WithQuery("/accounts", ("name", name)), cancellationToken)).Value;

    public Task<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken cancellationToken = default) =>
        daemon.GetAsync<IReadOnlyList<ApiToken>>("/tokens", cancellationToken);

    public Task AddTokenAsync(ApiToken token, CancellationToken cancellationToken = default) =>
        daemon.SendAsync(HttpMethod.Post, "/tokens", token, cancellationToken);

    public async Task<bool> RemoveTokenAsync(string id, CancellationToken cancellationToken = default) =>
        (await daemon.DeleteAsync<BridgeFlag>(DaemonBridgeClient.WithQuery("/tokens", ("id", id)), cancellationToken)).Value;
}
