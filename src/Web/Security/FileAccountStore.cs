using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Web.Ui;
using Microsoft.Extensions.Options;

namespace Appliance.Web.Security;

/// <summary>
/// Accounts and tokens in <c>STATE_DIR/accounts.json</c> (mode 0600), rewritten atomically
/// (write to a temp file, fsync, rename) under one lock: a single writer.
/// </summary>
public sealed partial class FileAccountStore : IAccountStore
{
    private readonly string _path;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private Snapshot? _cache;

    public FileAccountStore(IOptions<UiOptions> options)
    {
        Directory.CreateDirectory(options.Value.StateDir);
        _path = Path.Combine(options.Value.StateDir, "accounts.json");
    }

    public async Task<IReadOnlyList<AdminAccount>> ListAccountsAsync(CancellationToken cancellationToken = default)
        => (await ReadAsync(cancellationToken)).Accounts;

    public async Task<AdminAccount?> FindAccountAsync(string name, CancellationToken cancellationToken = default)
        => (await ReadAsync(cancellationToken)).Accounts.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));

    public Task<bool> CreateAccountAsync(AdminAccount account, CancellationToken cancellationToken = default)
        => UpdateAsync(s => s.Accounts.Any(a => string.Equals(a.Name, account.Name, StringComparison.OrdinalIgnoreCase))
            ? null
            : s with { Accounts = [.. s.Accounts, account] }, cancellationToken);

    public Task<bool> RemoveAccountAsync(string name, CancellationToken cancellationToken = default)
        => UpdateAsync(s => s.Accounts.Any(a => a.Name == name)
            ? s with { Accounts = [.. s.Accounts.Where(a => a.Name != name)], Tokens = [.. s.Tokens.Where(t => t.Owner != name)] }
            : null, cancellationToken);

    public async Task<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken cancellationToken = default)
        => (await ReadAsync(cancellationToken)).Tokens;

    public Task AddTokenAsync(ApiToken token, CancellationToken cancellationToken = default)
        => UpdateAsync(s => s with { Tokens = [.. s.Tokens, token] }, cancellationToken);

    public Task<bool> RemoveTokenAsync(string id, CancellationToken cancellationToken = default)
        => UpdateAsync(s => s.Tokens.Any(t => t.Id == id) ? s with { Tokens = [.. s.Tokens.Where(t => t.Id != id)] } : null, cancellationToken);

    private async Task<Snapshot> ReadAsync(CancellationToken cancellationToken)
    {
        if (_cache is { } cached)
        {
            return cached;
        }
        await _lock.WaitAsync(cancellationToken);
        try
        {
            return _cache ??= await LoadAsync(cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<bool> UpdateAsync(Func<Snapshot, Snapshot?> change, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            Snapshot current = _cache ??= await LoadAsync(cancellationToken);
            Snapshot? next = change(current);
            if (next is null)
            {
                return false;
            }
            string temp = _path + ".tmp";
            await using (var stream = new FileStream(temp, PrivateFile(FileMode.Create)))
            {
                await JsonSerializer.SerializeAsync(stream, next, SnapshotJson.Default.Snapshot, cancellationToken);
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, _path, overwrite: true);
            _cache = next;
            return true;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<Snapshot> LoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(_path))
        {
            return new Snapshot([], []);
        }
        await using FileStream stream = File.OpenRead(_path);
        try
        {
            return await JsonSerializer.DeserializeAsync(stream, SnapshotJson.Default.Snapshot, cancellationToken) ?? new Snapshot([], []);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{_path}' is not a valid account file ({e.Message}); restore it from a backup or move it away to run first-run setup again.", e);
        }
    }

    private sealed record Snapshot(IReadOnlyList<AdminAccount> Accounts, IReadOnlyList<ApiToken> Tokens);

    [JsonSerializable(typeof(Snapshot))]
    private sealed partial class SnapshotJson : JsonSerializerContext;

    private static FileStreamOptions PrivateFile(FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        return options;
    }
}
