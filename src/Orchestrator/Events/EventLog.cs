using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Appliance.Orchestrator.State;
using Microsoft.Data.Sqlite;

namespace Appliance.Orchestrator.Events;

/// <summary>
/// The event history: every deploy, restart, health change, firewall change and autoheal action, with time and
/// reason. <see cref="PublishAsync"/> stores the event (committed) and then hands it to every watcher; pages
/// take <see cref="RecentAsync"/> as their snapshot and then <c>await foreach</c> <see cref="WatchAsync"/>.
/// </summary>
public sealed class EventLog(IStateStore store, TimeProvider? timeProvider = null)
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private readonly List<Channel<ApplianceEventRecord>> _watchers = [];

    public async Task<ApplianceEventRecord> PublishAsync(string kind, string? stack, string? service, string message, string? reason = null,
        CancellationToken cancellationToken = default)
    {
        DateTimeOffset time = _time.GetUtcNow();
        long id = await store.WriteAsync(async (tx, ct) =>
        {
            using SqliteCommand command = tx.Connection!.CreateCommand();
            command.Transaction = tx;
            command.CommandText = "INSERT INTO events (time, kind, stack, service, message, reason) VALUES ($t, $k, $s, $v, $m, $r) RETURNING id";
            command.Parameters.AddWithValue("$t", time.ToString("O", CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$k", kind);
            command.Parameters.AddWithValue("$s", (object?)stack ?? DBNull.Value);
            command.Parameters.AddWithValue("$v", (object?)service ?? DBNull.Value);
            command.Parameters.AddWithValue("$m", message);
            command.Parameters.AddWithValue("$r", (object?)reason ?? DBNull.Value);
            return (long)(await command.ExecuteScalarAsync(ct))!;
        }, cancellationToken);
        var record = new ApplianceEventRecord(id, time, kind, stack, service, message, reason);
        lock (_gate)
        {
            foreach (Channel<ApplianceEventRecord> watcher in _watchers)
            {
                watcher.Writer.TryWrite(record);
            }
        }
        return record;
    }

    /// <summary>The newest <paramref name="max"/> events (optionally of one stack, or after id <paramref name="afterId"/>), oldest first.</summary>
    public Task<IReadOnlyList<ApplianceEventRecord>> RecentAsync(string? stack = null, int max = 100, long afterId = 0,
        CancellationToken cancellationToken = default) =>
        store.ReadAsync<IReadOnlyList<ApplianceEventRecord>>(async (connection, ct) =>
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT id, time, kind, stack, service, message, reason FROM events " +
                "WHERE ($s IS NULL OR stack = $s) AND id > $after ORDER BY id DESC LIMIT $max";
            command.Parameters.AddWithValue("$s", (object?)stack ?? DBNull.Value);
            command.Parameters.AddWithValue("$after", afterId);
            command.Parameters.AddWithValue("$max", Math.Clamp(max, 1, 10_000));
            var list = new List<ApplianceEventRecord>();
            using SqliteDataReader reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                list.Add(new ApplianceEventRecord(reader.GetInt64(0), DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture),
                    reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
            }
            list.Reverse();
            return list;
        }, cancellationToken);

    /// <summary>Events published from now on, until <paramref name="cancellationToken"/> is cancelled. A slow reader drops the oldest beyond 1,000.</summary>
    public async IAsyncEnumerable<ApplianceEventRecord> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Channel<ApplianceEventRecord> channel = Channel.CreateBounded<ApplianceEventRecord>(
            new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_gate)
        {
            _watchers.Add(channel);
        }
        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken))
            {
                while (channel.Reader.TryRead(out ApplianceEventRecord? record))
                {
                    yield return record;
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(channel);
            }
        }
    }
}
