namespace Appliance.Web.Security;

/// <summary>
/// Where administrators and API tokens are persisted. <see cref="FileAccountStore"/> keeps them in the
/// state directory until the daemon's SQLite state store takes over.
/// </summary>
public interface IAccountStore
{
    Task<IReadOnlyList<AdminAccount>> ListAccountsAsync(CancellationToken cancellationToken = default);

    Task<AdminAccount?> FindAccountAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Adds an account; false when one of that name exists.</summary>
    Task<bool> CreateAccountAsync(AdminAccount account, CancellationToken cancellationToken = default);

    Task<bool> RemoveAccountAsync(string name, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken cancellationToken = default);

    Task AddTokenAsync(ApiToken token, CancellationToken cancellationToken = default);

    Task<bool> RemoveTokenAsync(string id, CancellationToken cancellationToken = default);
}
