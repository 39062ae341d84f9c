using Microsoft.Data.Sqlite;

namespace Appliance.Orchestrator.State;

/// <summary>
/// The daemon's embedded database (SQLite, WAL, <c>synchronous=FULL</c>). All writes go through
/// <see cref="WriteAsync{T}"/>: one writer connection, one transaction at a time, committed before the
/// call returns, so anything a caller acknowledged survives a crash or power loss. Reads run on their own
/// connections and never wait for the writer (WAL readers see the last committed state).
/// Other areas add their own tables with a <see cref="StateMigration"/> of their own module name.
/// </summary>
public interface IStateStore
{
    /// <summary>The SQLite file (STATE_DIR/appliance.db).</summary>
    string DatabasePath { get; }

    /// <summary>Runs <paramref name="work"/> inside one immediate transaction on the single writer connection, then commits.
    /// If <paramref name="work"/> throws, nothing of it is kept.</summary>
    Task<T> WriteAsync<T>(Func<SqliteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="WriteAsync{T}"/>, for rows nobody acknowledged and a power cut costs nothing of worth (a health check's
    /// result): committed without waiting for the disk (<c>synchronous=NORMAL</c> for this commit; WAL keeps it atomic and
    /// consistent, a crash of the daemon loses nothing, and the next durable commit flushes it too). A check every few
    /// seconds then does not flush the state disk each time.
    /// </summary>
    Task<T> WriteWithoutFsyncAsync<T>(Func<SqliteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default);

    /// <summary>Runs <paramref name="work"/> on a read-only connection of its own.</summary>
    Task<T> ReadAsync<T>(Func<SqliteConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default);
}
