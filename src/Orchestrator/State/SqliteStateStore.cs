using Microsoft.Data.Sqlite;

namespace Appliance.Orchestrator.State;

/// <summary>
/// <see cref="IStateStore"/> on one SQLite file. The writer connection is opened once and guarded by a
/// semaphore (single writer, no SQLITE_BUSY between our own writers); readers open pooled connections.
/// Pragmas: <c>journal_mode=WAL</c> (persistent), <c>synchronous=FULL</c> (a commit is on disk when it
/// returns, also for a power cut), <c>foreign_keys=ON</c>, <c>busy_timeout</c> 5 s.
/// </summary>
public sealed class SqliteStateStore : IStateStore, IAsyncDisposable
{
    public const string FileName = "appliance.db";

    private readonly SemaphoreSlim _writerLock = new(1, 1);
    private readonly SqliteConnection _writer;
    private readonly string _readConnectionString;
    private SqliteCommand? _synchronousNormal;
    private SqliteCommand? _synchronousFull;

    private SqliteStateStore(string path, SqliteConnection writer, string readConnectionString)
    {
        DatabasePath = path;
        _writer = writer;
        _readConnectionString = readConnectionString;
    }

    public string DatabasePath { get; }

    /// <summary>Opens (creating if needed) STATE_DIR/appliance.db and applies the core migrations and <paramref name="extraMigrations"/>.</summary>
    public static async Task<SqliteStateStore> OpenAsync(string stateDir, IEnumerable<StateMigration>? extraMigrations = null,
        CancellationToken cancellationToken = default)
    {
        List<StateMigration> migrations = [.. CoreSchema.Migrations, .. extraMigrations ?? []];
        MigrationRunner.Validate(migrations);
        try
        {
            Directory.CreateDirectory(stateDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StateException($"state directory '{stateDir}' cannot be created: {e.Message}; pass --state-dir with a writable directory", e);
        }
        string path = Path.GetFullPath(Path.Combine(stateDir, FileName));
        string writeCs = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString();
        string readCs = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();
        var writer = new SqliteConnection(writeCs);
        try
        {
            await writer.OpenAsync(cancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            await ExecuteAsync(writer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;", cancellationToken);
            await MigrationRunner.ApplyAsync(writer, migrations, cancellationToken);
        }
        catch (SqliteException e)
        {
            await writer.DisposeAsync();
            throw new StateException($"state database '{path}' cannot be opened: {e.Message} (SQLite error {e.SqliteErrorCode}); " +
                "if the file is damaged, stop the daemon and restore a backup of the state directory", e);
        }
        catch
        {
            await writer.DisposeAsync();
            throw;
        }
        return new SqliteStateStore(path, writer, readCs);
    }

    public Task<T> WriteAsync<T>(Func<SqliteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default) =>
        WriteAsync(work, fsync: true, cancellationToken);

    public Task<T> WriteWithoutFsyncAsync<T>(Func<SqliteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default) =>
        WriteAsync(work, fsync: false, cancellationToken);

    private async Task<T> WriteAsync<T>(Func<SqliteTransaction, CancellationToken, Task<T>> work, bool fsync, CancellationToken cancellationToken)
    {
        await _writerLock.WaitAsync(cancellationToken);
        try
        {
            if (!fsync)
            {
                Pragma(ref _synchronousNormal, "PRAGMA synchronous=NORMAL");
            }
            try
            {
                using SqliteTransaction transaction = _writer.BeginTransaction(deferred: false);
                T result = await work(transaction, cancellationToken);
                transaction.Commit();
                return result;
            }
            finally
            {
                if (!fsync)
                {
                    Pragma(ref _synchronousFull, "PRAGMA synchronous=FULL");
                }
            }
        }
        finally
        {
            _writerLock.Release();
        }
    }

    /// <summary>Runs a pragma on the writer (under its lock), the command kept prepared for the next time.</summary>
    private void Pragma(ref SqliteCommand? command, string sql)
    {
        if (command is null)
        {
            command = _writer.CreateCommand();
            command.CommandText = sql;
        }
        command.ExecuteNonQuery();
    }

    public async Task<T> ReadAsync<T>(Func<SqliteConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default)
    {
        await using var connection = new SqliteConnection(_readConnectionString);
        await connection.OpenAsync(cancellationToken);
        return await work(connection, cancellationToken);
    }

    /// <summary>Reads one pragma of the writer connection (tests check WAL and synchronous=FULL, 2).</summary>
    public async Task<string> PragmaAsync(string name, CancellationToken cancellationToken = default)
    {
        await _writerLock.WaitAsync(cancellationToken);
        try
        {
            using SqliteCommand command = _writer.CreateCommand();
            command.CommandText = $"PRAGMA {name}";
            return Convert.ToString(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) ?? "";
        }
        finally
        {
            _writerLock.Release();
        }
    }

    internal static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _writerLock.WaitAsync();
        try
        {
            _synchronousNormal?.Dispose();
            _synchronousFull?.Dispose();
            await _writer.DisposeAsync();
        }
        finally
        {
            _writerLock.Release();
        }
        SqliteConnection.ClearAllPools();
    }
}
