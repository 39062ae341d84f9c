using Appliance.Orchestrator.State;
using Microsoft.Data.Sqlite;

namespace Appliance.Orchestrator.Tests.State;

public class SqliteStateStoreTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private static Task<long> CountAsync(IStateStore store, string sql) =>
        store.ReadAsync(async (c, ct) =>
        {
            using SqliteCommand command = c.CreateCommand();
            command.CommandText = sql;
            return (long)(await command.ExecuteScalarAsync(ct))!;
        });

    [Fact]
    public async Task Open_UsesWal_And_SynchronousFull()
    {
        await using SqliteStateStore store = await SqliteStateStore.OpenAsync(_dir.Path);
        Assert.Equal("wal", await store.PragmaAsync("journal_mode"));
        Assert.Equal("2", await store.PragmaAsync("synchronous"));
        Assert.Equal("1", await store.PragmaAsync("foreign_keys"));
        Assert.True(OperatingSystem.IsLinux());
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.DatabasePath));
        }
    }

    [Fact]
    public async Task WriteWithoutFsync_CommitsWithSynchronousNormal_ThenTheWriterIsFullAgain_AlsoWhenTheWorkThrows()
    {
        await using SqliteStateStore store = await SqliteStateStore.OpenAsync(_dir.Path,
            [new StateMigration("test", 1, "checks", "CREATE TABLE checks (n INTEGER)")]);
        static async Task<string> SynchronousAsync(SqliteTransaction tx)
        {
            using SqliteCommand command = tx.Connection!.CreateCommand();
            command.Transaction = tx;
            command.CommandText = "PRAGMA synchronous";
            return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
        }
        static async Task InsertAsync(SqliteTransaction tx)
        {
            using SqliteCommand insert = tx.Connection!.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO checks VALUES (1)";
            await insert.ExecuteNonQueryAsync();
        }

        string during = await store.WriteWithoutFsyncAsync(async (tx, _) =>
        {
            await InsertAsync(tx);
            return await SynchronousAsync(tx);
        });
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteWithoutFsyncAsync<int>(async (tx, _) =>
        {
            await InsertAsync(tx);
            throw new InvalidOperationException("boom");
        }));
        string durable = await store.WriteAsync(async (tx, _) => await SynchronousAsync(tx));

        Assert.Equal("1", during); // NORMAL
        Assert.Equal("2", durable); // FULL
        Assert.Equal("2", await store.PragmaAsync("synchronous"));
        Assert.Equal(1, await CountAsync(store, "SELECT COUNT(*) FROM checks"));
    }

    [Fact]
    public async Task Open_AppliesMigrationsOnce_InOrder_PerModule()
    {
        StateMigration[] web =
        [
            new("web", 1, "sessions", "CREATE TABLE web_sessions (id TEXT PRIMARY KEY)"),
            new("web", 2, "sessions expiry", "ALTER TABLE web_sessions ADD COLUMN expires TEXT"),
        ];
        await using (SqliteStateStore store = await SqliteStateStore.OpenAsync(_dir.Path, web))
        {
            Assert.Equal(CoreSchema.Migrations.Count + 2, await CountAsync(store, "SELECT COUNT(*) FROM schema_version"));
        }
        await using (SqliteStateStore again = await SqliteStateStore.OpenAsync(_dir.Path, web))
        {
            Assert.Equal(CoreSchema.Migrations.Count + 2, await CountAsync(again, "SELECT COUNT(*) FROM schema_version"));
            Assert.Equal(0, await CountAsync(again, "SELECT COUNT(expires) FROM web_sessions"));
        }
    }

    [Fact]
    public async Task FailedMigration_LeavesNothing_AndSaysWhich()
    {
        StateMigration[] bad = [new("web", 1, "half broken", "CREATE TABLE a (x); CREATE TABLE oops oops;")];
        StateException e = await Assert.ThrowsAsync<StateException>(() => SqliteStateStore.OpenAsync(_dir.Path, bad));
        Assert.Contains("web/1 'half broken'", e.Message);
        await using SqliteStateStore store = await SqliteStateStore.OpenAsync(_dir.Path);
        Assert.Equal(0, await CountAsync(store, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'a'"));
        Assert.Equal(0, await CountAsync(store, "SELECT COUNT(*) FROM schema_version WHERE module = 'web'"));
    }

    [Fact]
    public async Task Migrations_WithGaps_AreRejected_AllAtOnce()
    {
        StateMigration[] gaps = [new("web", 2, "two", "SELECT 1"), new("Bad Name", 1, "x", "SELECT 1")];
        StateException e = await Assert.ThrowsAsync<StateException>(() => SqliteStateStore.OpenAsync(_dir.Path, gaps));
        Assert.Contains("version 2, expected 1", e.Message);
        Assert.Contains("module name 'Bad Name'", e.Message);
    }

    [Fact]
    public async Task NewerDatabase_IsRefused_WithFix()
    {
        await using (SqliteStateStore store = await SqliteStateStore.OpenAsync(_dir.Path,
            [new("web", 1, "one", "SELECT 1"), new("web", 2, "two", "SELECT 1")]))
        {
        }
        StateException e = await Assert.ThrowsAsync<StateException>(() => SqliteStateStore.OpenAsync(_dir.Path, [new("web", 1, "one", "SELECT 1")]));
        Assert.Contains("newer than this Appliance", e.Message);
    }

    [Fact]
    public async Task ConcurrentWriters_AreSerialized_AndReadersSeeCommits()
    {
        await using SqliteStateStore store = await SqliteStateStore.OpenAsync(_dir.Path);
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => store.WriteAsync(async (tx, ct) =>
        {
            using SqliteCommand command = tx.Connection!.CreateCommand();
            command.Transaction = tx;
            command.CommandText = "INSERT INTO events (time, kind, message) VALUES ('t', 'note', $m)";
            command.Parameters.AddWithValue("$m", $"m{i}");
            return await command.ExecuteNonQueryAsync(ct);
        }))));
        Assert.Equal(200, await CountAsync(store, "SELECT COUNT(DISTINCT message) FROM events"));
    }

    [Fact]
    public async Task ThrowingWrite_IsRolledBack()
    {
        await using SqliteStateStore store = await SqliteStateStore.OpenAsync(_dir.Path);
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync<int>(async (tx, ct) =>
        {
            using SqliteCommand command = tx.Connection!.CreateCommand();
            command.Transaction = tx;
            command.CommandText = "INSERT INTO events (time, kind, message) VALUES ('t', 'note', 'lost')";
            await command.ExecuteNonQueryAsync(ct);
            throw new InvalidOperationException("boom");
        }));
        Assert.Equal(0, await CountAsync(store, "SELECT COUNT(*) FROM events"));
    }
}
