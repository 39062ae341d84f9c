using System.Globalization;
using Appliance.Orchestrator.State;
using Microsoft.Data.Sqlite;

namespace Appliance.Web.Security;

/// <summary>
/// Accounts and API tokens in the daemon's SQLite state (core tables <c>users</c> and <c>api_tokens</c>),
/// used whenever the daemon registers its <see cref="IStateStore"/>. The token list is cached (every API call
/// checks a token) and dropped when this store changes it, the only writer of that table.
/// </summary>
public sealed class SqliteAccountStore(IStateStore state) : IAccountStore
{
    private volatile IReadOnlyList<ApiToken>? _tokens;

    public Task<IReadOnlyList<AdminAccount>> ListAccountsAsync(CancellationToken cancellationToken = default)
        => state.ReadAsync<IReadOnlyList<AdminAccount>>(async (connection, ct) =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT name, password_hash, created_at FROM users ORDER BY name";
            return await ReadAccountsAsync(command, ct);
        }, cancellationToken);

    public Task<AdminAccount?> FindAccountAsync(string name, CancellationToken cancellationToken = default)
        => state.ReadAsync(async (connection, ct) =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT name, password_hash, created_at FROM users WHERE name = $name COLLATE NOCASE";
            command.Parameters.AddWithValue("$name", name);
            return (await ReadAccountsAsync(command, ct)).FirstOrDefault();
        }, cancellationToken);

    public Task<bool> CreateAccountAsync(AdminAccount account, CancellationToken cancellationToken = default)
        => state.WriteAsync(async (transaction, ct) =>
        {
            using SqliteCommand command = transaction.Connection!.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                INSERT INTO users (name, password_hash, created_at)
                SELECT $name, $hash, $at WHERE NOT EXISTS (SELECT 1 FROM users WHERE name = $name COLLATE NOCASE)
                """;
            command.Parameters.AddWithValue("$name", account.Name);
            command.Parameters.AddWithValue("$hash", account.PasswordHash);
            command.Parameters.AddWithValue("$at", account.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            return await command.ExecuteNonQueryAsync(ct) == 1;
        }, cancellationToken);

    public async Task<bool> RemoveAccountAsync(string name, CancellationToken cancellationToken = default)
    {
        bool removed = await RemoveAccountRowsAsync(name, cancellationToken);
        _tokens = null;
        return removed;
    }

    private Task<bool> RemoveAccountRowsAsync(string name, CancellationToken cancellationToken)
        => state.WriteAsync(async (transaction, ct) =>
        {
            using SqliteCommand tokens = transaction.Connection!.CreateCommand();
            tokens.Transaction = transaction;
            tokens.CommandText = "DELETE FROM api_tokens WHERE user_name = $name";
            tokens.Parameters.AddWithValue("$name", name);
            await tokens.ExecuteNonQueryAsync(ct);
            using SqliteCommand user = transaction.Connection!.CreateCommand();
            user.Transaction = transaction;
            user.CommandText = "DELETE FROM users WHERE name = $name";
            user.Parameters.AddWithValue("$name", name);
            return await user.ExecuteNonQueryAsync(ct) == 1;
        }, cancellationToken);

    public async Task<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken cancellationToken = default)
        => _tokens ??= await ReadTokensAsync(cancellationToken);

    private Task<IReadOnlyList<ApiToken>> ReadTokensAsync(CancellationToken cancellationToken)
        => state.ReadAsync<IReadOnlyList<ApiToken>>(async (connection, ct) =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT id, description, user_name, token_hash, created_at, last_used_at FROM api_tokens ORDER BY created_at";
            var tokens = new List<ApiToken>();
            await using SqliteDataReader reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                tokens.Add(new ApiToken
                {
                    Id = reader.GetString(0),
                    Name = reader.IsDBNull(1) ? "" : reader.GetString(1),
                    Owner = reader.GetString(2),
                    SecretSha256 = reader.GetString(3),
                    CreatedAt = Time(reader.GetString(4)),
                    LastUsedAt = reader.IsDBNull(5) ? null : Time(reader.GetString(5)),
                });
            }
            return tokens;
        }, cancellationToken);

    public async Task AddTokenAsync(ApiToken token, CancellationToken cancellationToken = default)
    {
        await AddTokenRowAsync(token, cancellationToken);
        _tokens = null;
    }

    private Task<int> AddTokenRowAsync(ApiToken token, CancellationToken cancellationToken)
        => state.WriteAsync(async (transaction, ct) =>
        {
            using SqliteCommand command = transaction.Connection!.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO api_tokens (id, user_name, token_hash, description, created_at) VALUES ($id, $user, $hash, $name, $at)";
            command.Parameters.AddWithValue("$id", token.Id);
            command.Parameters.AddWithValue("$user", token.Owner);
            command.Parameters.AddWithValue("$hash", token.SecretSha256);
            command.Parameters.AddWithValue("$name", token.Name);
            command.Parameters.AddWithValue("$at", token.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            return await command.ExecuteNonQueryAsync(ct);
        }, cancellationToken);

    public async Task<bool> RemoveTokenAsync(string id, CancellationToken cancellationToken = default)
    {
        bool removed = await RemoveTokenRowAsync(id, cancellationToken);
        _tokens = null;
        return removed;
    }

    private Task<bool> RemoveTokenRowAsync(string id, CancellationToken cancellationToken)
        => state.WriteAsync(async (transaction, ct) =>
        {
            using SqliteCommand command = transaction.Connection!.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "DELETE FROM api_tokens WHERE id = $id";
            command.Parameters.AddWithValue("$id", id);
            return await command.ExecuteNonQueryAsync(ct) == 1;
        }, cancellationToken);

    private static async Task<IReadOnlyList<AdminAccount>> ReadAccountsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var accounts = new List<AdminAccount>();
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            accounts.Add(new AdminAccount { Name = reader.GetString(0), PasswordHash = reader.GetString(1), CreatedAt = Time(reader.GetString(2)) });
        }
        return accounts;
    }

    private static DateTimeOffset Time(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
