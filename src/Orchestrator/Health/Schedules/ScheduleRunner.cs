using System.Globalization;
using System.Text.Json;
using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Reconcile;
using Appliance.Orchestrator.State;
using Microsoft.Data.Sqlite;
using Quartz;

namespace Appliance.Orchestrator.Health.Schedules;

/// <summary>
/// Registers schedules in the state database (so their last run survives restarts, for the <see cref="MisfirePolicy"/>)
/// and runs their actions: restart a service (or all), check for image updates, or run a command in a container.
/// Every run is an event with its result. A restart holds the stack's lock and skips services a user stopped.
/// </summary>
public sealed class ScheduleRunner(IStateStore store, IStackRuntime runtime, EventLog events, TimeProvider? timeProvider = null,
    IImageUpdateChecker? updates = null, StackRepository? stacks = null, StackLocks? locks = null)
{
    private readonly StackLocks _locks = locks ?? new StackLocks();

    public static readonly TimeSpan CommandTimeout = TimeSpan.FromHours(1);

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>Upserts the schedule; returns its last run (null if never) and when it was first registered.</summary>
    public Task<(DateTimeOffset? LastRun, DateTimeOffset Registered)> RegisterAsync(string stack, ScheduleSpec spec, CancellationToken cancellationToken = default) =>
        store.WriteAsync(async (tx, ct) =>
        {
            using SqliteCommand upsert = tx.Connection!.CreateCommand();
            upsert.Transaction = tx;
            upsert.CommandText = "INSERT INTO schedules (stack, name, cron, action, service, command, created_at) VALUES ($s, $n, $c, $a, $v, $cmd, $t) " +
                "ON CONFLICT (stack, name) DO UPDATE SET cron = excluded.cron, action = excluded.action, service = excluded.service, command = excluded.command, " +
                "created_at = COALESCE(schedules.created_at, excluded.created_at) RETURNING last_run, created_at";
            upsert.Parameters.AddWithValue("$s", stack);
            upsert.Parameters.AddWithValue("$n", spec.Name);
            upsert.Parameters.AddWithValue("$c", spec.Cron);
            upsert.Parameters.AddWithValue("$a", ActionName(spec.Action));
            upsert.Parameters.AddWithValue("$v", (object?)spec.Service ?? DBNull.Value);
            upsert.Parameters.AddWithValue("$cmd", spec.Command is null ? DBNull.Value : JsonSerializer.Serialize(spec.Command, OrchestratorJson.Default.IReadOnlyListString));
            upsert.Parameters.AddWithValue("$t", _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
            using SqliteDataReader r = await upsert.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            return (r.IsDBNull(0) ? (DateTimeOffset?)null : Parse(r.GetString(0)), Parse(r.GetString(1)));
        }, cancellationToken);

    /// <summary>Forgets the schedules of <paramref name="stack"/> not in <paramref name="keep"/>.</summary>
    public Task UnregisterOthersAsync(string stack, IReadOnlyCollection<string> keep, CancellationToken cancellationToken = default) =>
        store.WriteAsync(async (tx, ct) =>
        {
            using SqliteCommand delete = tx.Connection!.CreateCommand();
            delete.Transaction = tx;
            delete.CommandText = "DELETE FROM schedules WHERE stack = $s AND name NOT IN (SELECT value FROM json_each($keep))";
            delete.Parameters.AddWithValue("$s", stack);
            delete.Parameters.AddWithValue("$keep", JsonSerializer.Serialize(keep, OrchestratorJson.Default.IReadOnlyCollectionString));
            return await delete.ExecuteNonQueryAsync(ct);
        }, cancellationToken);

    /// <summary>Runs the action now; <paramref name="why"/> says what fired it ("cron 0 0 3 * * ?", "missed at 03:00 while the daemon was down").</summary>
    public async Task<string> RunAsync(string stack, ScheduleSpec spec, string why, CancellationToken cancellationToken = default)
    {
        string result;
        bool failed = false;
        try
        {
            result = spec.Action switch
            {
                ScheduleAction.Restart => await RestartAsync(stack, spec.Service, cancellationToken),
                ScheduleAction.UpdateCheck => updates is null
                    ? "no image update checker is connected to this daemon; nothing was checked"
                    : await updates.CheckAsync(new StackDeployment(stack, 0, "", new Dictionary<string, string>()), cancellationToken),
                ScheduleAction.Command => await CommandAsync(stack, spec, cancellationToken),
                _ => throw new InvalidOperationException($"unknown schedule action {spec.Action}"),
            };
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            failed = true;
            result = "failed: " + e.Message;
        }
        DateTimeOffset now = _time.GetUtcNow();
        await store.WriteAsync(async (tx, ct) =>
        {
            using SqliteCommand update = tx.Connection!.CreateCommand();
            update.Transaction = tx;
            update.CommandText = "UPDATE schedules SET last_run = $t, last_result = $r WHERE stack = $s AND name = $n";
            update.Parameters.AddWithValue("$t", now.ToString("O", CultureInfo.InvariantCulture));
            update.Parameters.AddWithValue("$r", result.Length > 2000 ? result[..2000] : result);
            update.Parameters.AddWithValue("$s", stack);
            update.Parameters.AddWithValue("$n", spec.Name);
            return await update.ExecuteNonQueryAsync(ct);
        }, cancellationToken);
        await events.PublishAsync(failed ? EventKind.Alert : EventKind.Schedule, stack, spec.Service,
            $"schedule '{spec.Name}' ({ActionName(spec.Action)}): {result}", why, cancellationToken);
        return result;
    }

    public Task<IReadOnlyList<ScheduleStatus>> ListAsync(CancellationToken cancellationToken = default) =>
        store.ReadAsync<IReadOnlyList<ScheduleStatus>>(async (c, ct) =>
        {
            using SqliteCommand command = c.CreateCommand();
            command.CommandText = "SELECT stack, name, cron, action, service, last_run, last_result FROM schedules ORDER BY stack, name";
            var list = new List<ScheduleStatus>();
            using SqliteDataReader r = await command.ExecuteReaderAsync(ct);
            DateTimeOffset now = _time.GetUtcNow();
            while (await r.ReadAsync(ct))
            {
                string cron = r.GetString(2);
                DateTimeOffset? next = MisfirePolicy.Validate(cron) is null ? new CronExpression(cron).GetNextValidTimeAfter(now) : null;
                list.Add(new ScheduleStatus(r.GetString(0), r.GetString(1), cron, r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                    r.IsDBNull(5) ? null : Parse(r.GetString(5)), r.IsDBNull(6) ? null : r.GetString(6), next));
            }
            return list;
        }, cancellationToken);

    public static string ActionName(ScheduleAction action) => action switch
    {
        ScheduleAction.Restart => "restart",
        ScheduleAction.UpdateCheck => "update-check",
        ScheduleAction.Command => "command",
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };

    private async Task<string> RestartAsync(string stack, string? service, CancellationToken cancellationToken)
    {
        using IDisposable held = await _locks.AcquireAsync(stack, cancellationToken);
        string[] services = service is not null ? [service] : [.. (await runtime.InspectAsync(stack, cancellationToken)).Services.Select(s => s.Service)];
        IReadOnlySet<string> stopped = stacks is null ? new HashSet<string>()
            : await stacks.GetStackAsync(stack, cancellationToken) is { DesiredState: "stopped" } ? services.ToHashSet()
            : await stacks.StoppedServicesAsync(stack, cancellationToken);
        string[] restarted = [.. services.Where(s => !stopped.Contains(s))];
        foreach (string name in restarted)
        {
            await runtime.RestartServiceAsync(stack, name, cancellationToken);
        }
        string[] skipped = [.. services.Where(stopped.Contains)];
        return $"restarted {(restarted.Length > 0 ? string.Join(", ", restarted) : "nothing")}" +
            (skipped.Length > 0 ? $"; not {string.Join(", ", skipped)}: stopped by a user" : "");
    }

    private async Task<string> CommandAsync(string stack, ScheduleSpec spec, CancellationToken cancellationToken)
    {
        if (spec.Service is null || spec.Command is not { Count: > 0 } command)
        {
            throw new InvalidOperationException("a command schedule needs a service and a command");
        }
        ExecResult result = await runtime.ExecAsync(stack, spec.Service, command, CommandTimeout, cancellationToken);
        string output = result.Output.Trim();
        if (output.Length > 500)
        {
            output = "..." + output[^500..];
        }
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"`{string.Join(' ', command)}` exited with code {result.ExitCode}" + (output.Length > 0 ? $": {output}" : ""));
        }
        return $"`{string.Join(' ', command)}` succeeded" + (output.Length > 0 ? $": {output}" : "");
    }

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
}
