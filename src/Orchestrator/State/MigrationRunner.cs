using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Appliance.Orchestrator.State;

/// <summary>Checks a set of migrations and applies the missing ones, each in a transaction with its schema_version row.</summary>
internal static class MigrationRunner
{
    private const string VersionTable =
        "CREATE TABLE IF NOT EXISTS schema_version (module TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, " +
        "applied_at TEXT NOT NULL, PRIMARY KEY (module, version))";

    /// <summary>Every module numbers 1..n without gaps or duplicates; all problems reported together.</summary>
    public static void Validate(IReadOnlyList<StateMigration> migrations)
    {
        var errors = new List<string>();
        foreach (IGrouping<string, StateMigration> module in migrations.GroupBy(m => m.Module, StringComparer.Ordinal))
        {
            if (module.Key.Length == 0 || module.Key.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')))
            {
                errors.Add($"module name '{module.Key}': use lower-case letters, digits and '-'");
            }
            int expected = 1;
            foreach (StateMigration m in module.OrderBy(m => m.Version))
            {
                if (m.Version != expected)
                {
                    errors.Add($"module '{module.Key}': migration '{m.Name}' has version {m.Version}, expected {expected} (versions run 1, 2, 3, ... without gaps or duplicates)");
                }
                expected = m.Version + 1;
            }
        }
        if (errors.Count > 0)
        {
            throw new StateException("state migrations are inconsistent: " + string.Join("; ", errors));
        }
    }

    public static async Task ApplyAsync(SqliteConnection connection, IReadOnlyList<StateMigration> migrations, CancellationToken cancellationToken)
    {
        await SqliteStateStore.ExecuteAsync(connection, VersionTable, cancellationToken);
        var applied = new Dictionary<string, int>(StringComparer.Ordinal);
        using (SqliteCommand read = connection.CreateCommand())
        {
            read.CommandText = "SELECT module, MAX(version) FROM schema_version GROUP BY module";
            using SqliteDataReader reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                applied[reader.GetString(0)] = reader.GetInt32(1);
            }
        }
        foreach ((string module, int version) in applied)
        {
            int known = migrations.Where(m => m.Module == module).Select(m => m.Version).DefaultIfEmpty(0).Max();
            if (known > 0 && version > known)
            {
                throw new StateException($"the state database is newer than this Appliance: module '{module}' is at schema version {version}, " +
                    $"this build knows up to {known}; install the newer Appliance again or restore a backup of the state directory");
            }
        }
        foreach (StateMigration migration in migrations.OrderBy(m => m.Module == "core" ? 0 : 1).ThenBy(m => m.Module, StringComparer.Ordinal).ThenBy(m => m.Version))
        {
            if (applied.TryGetValue(migration.Module, out int at) && migration.Version <= at)
            {
                continue;
            }
            using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
            try
            {
                using (SqliteCommand command = connection.CreateCommand())
                {
                    command.Transaction = transaction;
                    command.CommandText = migration.Sql;
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
                using (SqliteCommand record = connection.CreateCommand())
                {
                    record.Transaction = transaction;
                    record.CommandText = "INSERT INTO schema_version (module, version, name, applied_at) VALUES ($m, $v, $n, $t)";
                    record.Parameters.AddWithValue("$m", migration.Module);
                    record.Parameters.AddWithValue("$v", migration.Version);
                    record.Parameters.AddWithValue("$n", migration.Name);
                    record.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }
                transaction.Commit();
            }
            catch (SqliteException e)
            {
                throw new StateException($"state migration {migration.Module}/{migration.Version} '{migration.Name}' failed: {e.Message}; " +
                    "nothing of it was applied (it runs in one transaction)", e);
            }
        }
    }
}
