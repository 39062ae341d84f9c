using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.State;
using Microsoft.Data.Sqlite;

namespace Appliance.Orchestrator.Health;

/// <summary>
/// The health of every supervised service: applies probe results (<see cref="HealthTracker"/>) and autoheal decisions
/// (<see cref="AutohealDecider"/>), keeps the last 100 checks per service in the state database, records status changes
/// and autoheal actions as events, and serves snapshots plus a stream of changes (<see cref="WatchAsync"/>) to the UI.
/// </summary>
public sealed class HealthMonitor(IStateStore store, EventLog events, TimeProvider? timeProvider = null)
{
    public const int HistoryPerService = 100;

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly ConcurrentDictionary<(string Stack, string Service), ServiceHealthSnapshot> _snapshots = new();
    private readonly Lock _gate = new();
    private readonly List<Channel<ServiceHealthSnapshot>> _watchers = [];

    public DateTimeOffset Now => _time.GetUtcNow();

    public IReadOnlyList<ServiceHealthSnapshot> Snapshot() =>
        [.. _snapshots.Values.OrderBy(s => s.Stack, StringComparer.Ordinal).ThenBy(s => s.Service, StringComparer.Ordinal)];

    public ServiceHealthSnapshot? Get(string stack, string service) => _snapshots.GetValueOrDefault((stack, service));

    /// <summary>Changes from now on (each a full snapshot of the service that changed), until cancelled.</summary>
    public async IAsyncEnumerable<ServiceHealthSnapshot> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Channel<ServiceHealthSnapshot> channel = Channel.CreateBounded<ServiceHealthSnapshot>(
            new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_gate)
        {
            _watchers.Add(channel);
        }
        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken))
            {
                while (channel.Reader.TryRead(out ServiceHealthSnapshot? snapshot))
                {
                    yield return snapshot;
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

    /// <summary>A container was (re)started: its health starts over (start_period counts from now).</summary>
    public void Started(string stack, string service, DateTimeOffset startedAt, bool hasCheck)
    {
        ServiceHealthSnapshot snapshot = _snapshots.AddOrUpdate((stack, service),
            _ => new ServiceHealthSnapshot(stack, service, Initial(startedAt, hasCheck), AutohealState.Initial, null, Now) { HasCheck = hasCheck },
            (_, old) => old with { Health = Initial(startedAt, hasCheck), Updated = Now, HasCheck = hasCheck });
        Publish(snapshot);
    }

    /// <summary>Applies one probe result; records it in the history and, when the status changed, as an event.</summary>
    public async Task<ServiceHealthSnapshot> RecordAsync(string stack, string service, HealthCheckSpec spec, ProbeResult result,
        CancellationToken cancellationToken = default)
    {
        ServiceHealthSnapshot old = _snapshots.GetOrAdd((stack, service),
            _ => new ServiceHealthSnapshot(stack, service, HealthState.Started(result.Time), AutohealState.Initial, null, result.Time));
        HealthState health = HealthTracker.Apply(old.Health, result, spec);
        ServiceHealthSnapshot updated = old with { Health = health, Updated = result.Time };
        _snapshots[(stack, service)] = updated;
        // A check's row is not worth a flush of the state disk at every check (the status changes are events, written durably).
        await store.WriteWithoutFsyncAsync(async (tx, ct) =>
        {
            using SqliteCommand insert = tx.Connection!.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO health_history (stack, service, time, status, exit_code, output, duration_ms) VALUES ($s, $v, $t, $st, $e, $o, $d); " +
                "DELETE FROM health_history WHERE stack = $s AND service = $v AND id <= (SELECT id FROM health_history WHERE stack = $s AND service = $v ORDER BY id DESC LIMIT 1 OFFSET $keep)";
            insert.Parameters.AddWithValue("$s", stack);
            insert.Parameters.AddWithValue("$v", service);
            insert.Parameters.AddWithValue("$t", result.Time.ToString("O", CultureInfo.InvariantCulture));
            insert.Parameters.AddWithValue("$st", (result.Passed ? "pass " : "fail ") + health.Status.ToWire());
            insert.Parameters.AddWithValue("$e", (object?)result.ExitCode ?? DBNull.Value);
            insert.Parameters.AddWithValue("$o", result.Output.Length > 4096 ? result.Output[..4096] : result.Output);
            insert.Parameters.AddWithValue("$d", (long)result.Duration.TotalMilliseconds);
            insert.Parameters.AddWithValue("$keep", HistoryPerService);
            return await insert.ExecuteNonQueryAsync(ct);
        }, cancellationToken);
        if (health.Status != old.Health.Status)
        {
            await events.PublishAsync(EventKind.Health, stack, service, $"{old.Health.Status.ToWire()} -> {health.Status.ToWire()}",
                Describe(result, health), cancellationToken);
        }
        Publish(updated);
        return updated;
    }

    /// <summary>Runs the autoheal decision for a service, keeps its new state and records anything worth an event.</summary>
    public async Task<AutohealDecision> DecideAutohealAsync(string stack, string service, IReadOnlyList<DependencyHealth> dependencies, AutohealPolicy policy,
        CancellationToken cancellationToken = default)
    {
        ServiceHealthSnapshot current = _snapshots.GetOrAdd((stack, service),
            _ => new ServiceHealthSnapshot(stack, service, HealthState.Started(Now), AutohealState.Initial, null, Now));
        AutohealDecision decision = AutohealDecider.Decide(current.Autoheal, current.Health, dependencies, policy, Now);
        bool firstWait = decision.Action == AutohealAction.WaitForDependency && current.Autoheal.WaitingFor != decision.State.WaitingFor;
        ServiceHealthSnapshot updated = current with
        {
            Autoheal = decision.State,
            LastAction = decision.Action is AutohealAction.None or AutohealAction.Backoff && !firstWait ? current.LastAction : decision.Reason,
            Updated = Now,
        };
        _snapshots[(stack, service)] = updated;
        (string Kind, string Message)? record = decision.Action switch
        {
            AutohealAction.Restart => (EventKind.Autoheal, "restarting the unhealthy container"),
            AutohealAction.TripBreaker => (EventKind.Alert, "autoheal gave up: circuit breaker open"),
            AutohealAction.Recovered => (EventKind.Autoheal, "recovered"),
            AutohealAction.WaitForDependency when firstWait => (EventKind.Autoheal, "not restarting: waiting for a dependency"),
            _ => null,
        };
        if (record is { } r)
        {
            await events.PublishAsync(r.Kind, stack, service, r.Message, decision.Reason, cancellationToken);
        }
        if (updated != current)
        {
            Publish(updated);
        }
        return decision;
    }

    /// <summary>Drops what is known about a stack (it was removed).</summary>
    public void Forget(string stack)
    {
        foreach ((string, string) key in _snapshots.Keys.Where(k => k.Stack == stack))
        {
            _snapshots.TryRemove(key, out _);
        }
    }

    public Task<IReadOnlyList<HealthHistoryEntry>> HistoryAsync(string stack, string service, int max = HistoryPerService,
        CancellationToken cancellationToken = default) =>
        store.ReadAsync<IReadOnlyList<HealthHistoryEntry>>(async (c, ct) =>
        {
            using SqliteCommand command = c.CreateCommand();
            command.CommandText = "SELECT time, status, exit_code, output, duration_ms FROM health_history WHERE stack = $s AND service = $v ORDER BY id DESC LIMIT $max";
            command.Parameters.AddWithValue("$s", stack);
            command.Parameters.AddWithValue("$v", service);
            command.Parameters.AddWithValue("$max", max);
            var list = new List<HealthHistoryEntry>();
            using SqliteDataReader r = await command.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                string[] status = r.GetString(1).Split(' ');
                list.Add(new HealthHistoryEntry(DateTimeOffset.Parse(r.GetString(0), CultureInfo.InvariantCulture), HealthStatusNames.Parse(status[1]),
                    status[0] == "pass", r.IsDBNull(2) ? null : r.GetInt32(2), r.IsDBNull(3) ? "" : r.GetString(3), TimeSpan.FromMilliseconds(r.GetInt64(4))));
            }
            return list;
        }, cancellationToken);

    private static HealthState Initial(DateTimeOffset startedAt, bool hasCheck) =>
        hasCheck ? HealthState.Started(startedAt) : new HealthState(HealthStatus.None, startedAt, startedAt, 0, null);

    private static string Describe(ProbeResult result, HealthState health)
    {
        string output = result.Output.Trim();
        if (output.Length > 200)
        {
            output = output[..200] + "...";
        }
        return result.Passed
            ? "check passed" + (output.Length > 0 ? $": {output}" : "")
            : $"{health.FailingStreak} failed check(s) in a row" + (result.ExitCode is int code ? $", exit code {code}" : "") + (output.Length > 0 ? $": {output}" : "");
    }

    private void Publish(ServiceHealthSnapshot snapshot)
    {
        lock (_gate)
        {
            foreach (Channel<ServiceHealthSnapshot> watcher in _watchers)
            {
                watcher.Writer.TryWrite(snapshot);
            }
        }
    }
}
