using Microsoft.Data.Sqlite;

namespace Appliance.Orchestrator.State;

public sealed partial class StackRepository
{
    /// <summary>Remembers that a user stopped <paramref name="service"/>: restart policies, autoheal and reconcile leave it down
    /// (an <c>always</c> service comes back once, when the daemon starts, as Docker does) until a user starts it.</summary>
    public Task MarkStoppedAsync(string stack, string service, string by, CancellationToken cancellationToken = default) =>
        store.WriteAsync(async (tx, ct) =>
        {
            using SqliteCommand command = Command(tx,
                "INSERT INTO service_stops (stack, service, stopped_at, stopped_by) VALUES ($s, $v, $t, $b) " +
                "ON CONFLICT (stack, service) DO UPDATE SET stopped_at = excluded.stopped_at, stopped_by = excluded.stopped_by");
            command.Parameters.AddWithValue("$s", stack);
            command.Parameters.AddWithValue("$v", service);
            command.Parameters.AddWithValue("$t", Now);
            command.Parameters.AddWithValue("$b", by);
            return await command.ExecuteNonQueryAsync(ct);
        }, cancellationToken);

    /// <summary>Forgets a user's stop of one service, or of every service of the stack when <paramref name="service"/> is null.</summary>
    public Task ClearStoppedAsync(string stack, string? service = null, CancellationToken cancellationToken = default) =>
        store.WriteAsync(async (tx, ct) =>
        {
            using SqliteCommand command = Command(tx, service is null
                ? "DELETE FROM service_stops WHERE stack = $s"
                : "DELETE FROM service_stops WHERE stack = $s AND service = $v");
            command.Parameters.AddWithValue("$s", stack);
            command.Parameters.AddWithValue("$v", (object?)service ?? DBNull.Value);
            return await command.ExecuteNonQueryAsync(ct);
        }, cancellationToken);

    /// <summary>The services of <paramref name="stack"/> a user stopped (and did not start since).</summary>
    public Task<IReadOnlySet<string>> StoppedServicesAsync(string stack, CancellationToken cancellationToken = default) =>
        store.ReadAsync<IReadOnlySet<string>>(async (c, ct) =>
        {
            using SqliteCommand command = c.CreateCommand();
            command.CommandText = "SELECT service FROM service_stops WHERE stack = $s";
            command.Parameters.AddWithValue("$s", stack);
            var set = new HashSet<string>(StringComparer.Ordinal);
            using SqliteDataReader r = await command.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                set.Add(r.GetString(0));
            }
            return set;
        }, cancellationToken);
}
