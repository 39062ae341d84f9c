using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Appliance.Orchestrator.State;

/// <summary>
/// Stacks (desired state) and their deployments (history and plans) in the state database. Every change of a plan's
/// progress is committed before the step it announces runs, so a restarted daemon knows where a plan stopped.
/// </summary>
public sealed partial class StackRepository(IStateStore store, TimeProvider? timeProvider = null)
{
    private const string DeploymentColumns =
        "id, stack, version, stack_file, parameters, status, plan, step, previous_version, error, created_at, finished_at";

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    private string Now => _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    public Task<IReadOnlyList<StackRecord>> ListStacksAsync(CancellationToken cancellationToken = default) =>
        store.ReadAsync<IReadOnlyList<StackRecord>>(async (c, ct) =>
        {
            using SqliteCommand command = c.CreateCommand();
            command.CommandText = "SELECT name, stack_file, parameters, desired_state, version, updated_at FROM stacks ORDER BY name";
            return await ReadStacksAsync(command, ct);
        }, cancellationToken);

    public Task<StackRecord?> GetStackAsync(string name, CancellationToken cancellationToken = default) =>
        store.ReadAsync(async (c, ct) =>
        {
            using SqliteCommand command = c.CreateCommand();
            command.CommandText = "SELECT name, stack_file, parameters, desired_state, version, updated_at FROM stacks WHERE name = $n";
            command.Parameters.AddWithValue("$n", name);
            return (await ReadStacksAsync(command, ct)).SingleOrDefault();
        }, cancellationToken);

    /// <summary>Sets what the reconciler keeps the stack at: "running" or "stopped" (a stopped stack is left down, not removed).</summary>
    public Task SetDesiredStateAsync(string stack, string desiredState, CancellationToken cancellationToken = default) =>
        store.WriteAsync(async (tx, ct) =>
        {
            using SqliteCommand command = Command(tx, "UPDATE stacks SET desired_state = $d, updated_at = $t WHERE name = $s");
            command.Parameters.AddWithValue("$d", desiredState);
            command.Parameters.AddWithValue("$t", Now);
            command.Parameters.AddWithValue("$s", stack);
            return await command.ExecuteNonQueryAsync(ct) == 1
                ? 0
                : throw new StateConflictException($"there is no stack '{stack}'; `appliance stack ls` lists the deployed stacks");
        }, cancellationToken);

    /// <summary>Newest first.</summary>
    public Task<IReadOnlyList<DeploymentRecord>> DeploymentsAsync(string stack, CancellationToken cancellationToken = default) =>
        QueryDeploymentsAsync("WHERE stack = $s ORDER BY version DESC", cmd => cmd.Parameters.AddWithValue("$s", stack), cancellationToken);

    public Task<IReadOnlyList<DeploymentRecord>> UnfinishedAsync(CancellationToken cancellationToken = default) =>
        QueryDeploymentsAsync($"WHERE status IN ('{DeploymentStatus.Pending}', '{DeploymentStatus.RollingBack}', '{DeploymentStatus.Removing}') ORDER BY id",
            _ => { }, cancellationToken);

    public async Task<DeploymentRecord?> GetDeploymentAsync(string stack, int version, CancellationToken cancellationToken = default) =>
        (await QueryDeploymentsAsync("WHERE stack = $s AND version = $v", cmd =>
        {
            cmd.Parameters.AddWithValue("$s", stack);
            cmd.Parameters.AddWithValue("$v", version);
        }, cancellationToken)).SingleOrDefault();

    /// <summary>Records a new deployment (or removal, by its plan and <paramref name="status"/>) of <paramref name="stack"/> with the next
    /// version; refuses while another plan of the same stack is unfinished.</summary>
    public Task<DeploymentRecord> BeginAsync(string stack, string stackFile, IReadOnlyDictionary<string, string> parameters, IReadOnlyList<string> plan,
        string status = DeploymentStatus.Pending, CancellationToken cancellationToken = default) =>
        store.WriteAsync(async (tx, ct) =>
        {
            using (SqliteCommand busy = Command(tx, "SELECT version, status FROM deployments WHERE stack = $s AND status IN ('pending', 'rolling-back', 'removing')"))
            {
                busy.Parameters.AddWithValue("$s", stack);
                using SqliteDataReader reader = await busy.ExecuteReaderAsync(ct);
                if (await reader.ReadAsync(ct))
                {
                    throw new StateConflictException($"stack '{stack}' has an unfinished plan (version {reader.GetInt32(0)}, {reader.GetString(1)}); " +
                        "wait for it to end (see `appliance events`) and try again");
                }
            }
            int version;
            using (SqliteCommand max = Command(tx, "SELECT COALESCE(MAX(version), 0) FROM deployments WHERE stack = $s"))
            {
                max.Parameters.AddWithValue("$s", stack);
                version = Convert.ToInt32(await max.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) + 1;
            }
            int? previous = null;
            using (SqliteCommand current = Command(tx, "SELECT version FROM stacks WHERE name = $s"))
            {
                current.Parameters.AddWithValue("$s", stack);
                object? value = await current.ExecuteScalarAsync(ct);
                previous = value is null or DBNull ? null : Convert.ToInt32(value, CultureInfo.InvariantCulture);
            }
            string now = Now;
            using SqliteCommand insert = Command(tx, $"INSERT INTO deployments (stack, version, stack_file, parameters, status, plan, step, previous_version, created_at) " +
                $"VALUES ($s, $v, $f, $p, $st, $plan, 0, $prev, $t) RETURNING {DeploymentColumns}");
            insert.Parameters.AddWithValue("$s", stack);
            insert.Parameters.AddWithValue("$v", version);
            insert.Parameters.AddWithValue("$f", stackFile);
            insert.Parameters.AddWithValue("$p", JsonSerializer.Serialize(parameters, OrchestratorJson.Default.IReadOnlyDictionaryStringString));
            insert.Parameters.AddWithValue("$st", status);
            insert.Parameters.AddWithValue("$plan", JsonSerializer.Serialize(plan, OrchestratorJson.Default.IReadOnlyListString));
            insert.Parameters.AddWithValue("$prev", (object?)previous ?? DBNull.Value);
            insert.Parameters.AddWithValue("$t", now);
            return (await ReadDeploymentsAsync(insert, ct)).Single();
        }, cancellationToken);

    /// <summary>Commits that the next step to run is <paramref name="step"/>.</summary>
    public Task AdvanceAsync(long id, int step, CancellationToken cancellationToken = default) =>
        UpdateAsync(id, "step = $step", cmd => cmd.Parameters.AddWithValue("$step", step), cancellationToken);

    /// <summary>The deployment failed: record why and switch it to its rollback plan, from its first step.</summary>
    public Task StartRollbackAsync(long id, string error, IReadOnlyList<string> rollbackPlan, CancellationToken cancellationToken = default) =>
        UpdateAsync(id, "status = 'rolling-back', error = $e, plan = $plan, step = 0", cmd =>
        {
            cmd.Parameters.AddWithValue("$e", error);
            cmd.Parameters.AddWithValue("$plan", JsonSerializer.Serialize(rollbackPlan, OrchestratorJson.Default.IReadOnlyListString));
        }, cancellationToken);

    /// <summary>The deployment is what runs now: it becomes active, the previous one superseded, the stack's desired state points at it.</summary>
    public Task CompleteAsync(DeploymentRecord deployment, CancellationToken cancellationToken = default) =>
        store.WriteAsync(async (tx, ct) =>
        {
            string now = Now;
            using (SqliteCommand old = Command(tx, "UPDATE deployments SET status = 'superseded' WHERE stack = $s AND status = 'active'"))
            {
                old.Parameters.AddWithValue("$s", deployment.Stack);
                await old.ExecuteNonQueryAsync(ct);
            }
            using (SqliteCommand done = Command(tx, "UPDATE deployments SET status = 'active', step = $n, finished_at = $t WHERE id = $id"))
            {
                done.Parameters.AddWithValue("$n", deployment.Plan.Count);
                done.Parameters.AddWithValue("$t", now);
                done.Parameters.AddWithValue("$id", deployment.Id);
                await done.ExecuteNonQueryAsync(ct);
            }
            using SqliteCommand upsert = Command(tx, "INSERT INTO stacks (name, stack_file, parameters, desired_state, version, updated_at) " +
                "VALUES ($s, $f, $p, 'running', $v, $t) ON CONFLICT (name) DO UPDATE SET stack_file = excluded.stack_file, " +
                "parameters = excluded.parameters, desired_state = 'running', version = excluded.version, updated_at = excluded.updated_at");
            upsert.Parameters.AddWithValue("$s", deployment.Stack);
            upsert.Parameters.AddWithValue("$f", deployment.StackFile);
            upsert.Parameters.AddWithValue("$p", JsonSerializer.Serialize(deployment.Parameters, OrchestratorJson.Default.IReadOnlyDictionaryStringString));
            upsert.Parameters.AddWithValue("$v", deployment.Version);
            upsert.Parameters.AddWithValue("$t", now);
            await upsert.ExecuteNonQueryAsync(ct);
            return 0;
        }, cancellationToken);

    /// <summary>The rollback ended: the deployment is marked rolled back; the stack row (the previous version, if any) is unchanged.</summary>
    public Task CompleteRollbackAsync(long id, CancellationToken cancellationToken = default) =>
        UpdateAsync(id, "status = 'rolled-back', finished_at = $t", cmd => cmd.Parameters.AddWithValue("$t", Now), cancellationToken);

    /// <summary>The removal ended: the stack and what belongs to it (containers, network, addresses, schedules) are forgotten; history and events stay.</summary>
    public Task CompleteRemovalAsync(long id, string stack, CancellationToken cancellationToken = default) =>
        store.WriteAsync(async (tx, ct) =>
        {
            foreach (string sql in new[]
            {
                "DELETE FROM stacks WHERE name = $s", "DELETE FROM containers WHERE stack = $s", "DELETE FROM networks WHERE stack = $s",
                "DELETE FROM addresses WHERE stack = $s", "DELETE FROM schedules WHERE stack = $s", "DELETE FROM service_stops WHERE stack = $s",
                "UPDATE deployments SET status = 'superseded' WHERE stack = $s AND status = 'active'",
            })
            {
                using SqliteCommand command = Command(tx, sql);
                command.Parameters.AddWithValue("$s", stack);
                await command.ExecuteNonQueryAsync(ct);
            }
            using SqliteCommand done = Command(tx, "UPDATE deployments SET status = 'removed', finished_at = $t WHERE id = $id");
            done.Parameters.AddWithValue("$t", Now);
            done.Parameters.AddWithValue("$id", id);
            await done.ExecuteNonQueryAsync(ct);
            return 0;
        }, cancellationToken);

    private Task UpdateAsync(long id, string set, Action<SqliteCommand> bind, CancellationToken cancellationToken) =>
        store.WriteAsync(async (tx, ct) =>
        {
            using SqliteCommand command = Command(tx, $"UPDATE deployments SET {set} WHERE id = $id");
            command.Parameters.AddWithValue("$id", id);
            bind(command);
            if (await command.ExecuteNonQueryAsync(ct) != 1)
            {
                throw new StateException($"deployment {id} does not exist in the state database");
            }
            return 0;
        }, cancellationToken);

    private Task<IReadOnlyList<DeploymentRecord>> QueryDeploymentsAsync(string where, Action<SqliteCommand> bind, CancellationToken cancellationToken) =>
        store.ReadAsync(async (c, ct) =>
        {
            using SqliteCommand command = c.CreateCommand();
            command.CommandText = $"SELECT {DeploymentColumns} FROM deployments {where}";
            bind(command);
            return await ReadDeploymentsAsync(command, ct);
        }, cancellationToken);

    private static SqliteCommand Command(SqliteTransaction tx, string sql)
    {
        SqliteCommand command = tx.Connection!.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return command;
    }

    private static async Task<IReadOnlyList<StackRecord>> ReadStacksAsync(SqliteCommand command, CancellationToken ct)
    {
        var list = new List<StackRecord>();
        using SqliteDataReader r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new StackRecord(r.GetString(0), r.GetString(1), Parameters(r.GetString(2)), r.GetString(3), r.GetInt32(4), Time(r.GetString(5))));
        }
        return list;
    }

    private static async Task<IReadOnlyList<DeploymentRecord>> ReadDeploymentsAsync(SqliteCommand command, CancellationToken ct)
    {
        var list = new List<DeploymentRecord>();
        using SqliteDataReader r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new DeploymentRecord(r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.GetString(3), Parameters(r.GetString(4)), r.GetString(5),
                JsonSerializer.Deserialize(r.GetString(6), OrchestratorJson.Default.StringArray) ?? [], r.GetInt32(7), r.IsDBNull(8) ? null : r.GetInt32(8),
                r.IsDBNull(9) ? null : r.GetString(9), Time(r.GetString(10)), r.IsDBNull(11) ? null : Time(r.GetString(11))));
        }
        return list;
    }

    private static IReadOnlyDictionary<string, string> Parameters(string json) =>
        JsonSerializer.Deserialize(json, OrchestratorJson.Default.DictionaryStringString) ?? [];

    private static DateTimeOffset Time(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
}
