namespace Appliance.Orchestrator.State;

/// <summary>
/// The daemon's own tables (module "core"). Append new migrations at the end; never edit a shipped one.
/// Times are ISO 8601 UTC text ("O" format, sorts as text).
/// </summary>
public static class CoreSchema
{
    public const string Module = "core";

    public static IReadOnlyList<StateMigration> Migrations { get; } =
    [
        new(Module, 1, "stacks, deployments, containers, networks, addresses, firewall intent, events, health, schedules, users", """
            CREATE TABLE stacks (
                name TEXT PRIMARY KEY,
                stack_file TEXT NOT NULL,               -- the resolved stack file as deployed
                parameters TEXT NOT NULL DEFAULT '{}',  -- JSON object
                desired_state TEXT NOT NULL,            -- running | stopped | removed
                version INTEGER NOT NULL,               -- deployments.version that is current
                updated_at TEXT NOT NULL
            );
            CREATE TABLE deployments (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                stack TEXT NOT NULL,
                version INTEGER NOT NULL,
                stack_file TEXT NOT NULL,
                parameters TEXT NOT NULL DEFAULT '{}',
                status TEXT NOT NULL,                   -- pending | rolling-back | active | superseded | failed | rolled-back | removed
                plan TEXT NOT NULL,                     -- JSON array of step names
                step INTEGER NOT NULL DEFAULT 0,        -- index of the next step to run
                previous_version INTEGER,
                error TEXT,
                created_at TEXT NOT NULL,
                finished_at TEXT,
                UNIQUE (stack, version)
            );
            CREATE TABLE containers (
                stack TEXT NOT NULL,
                service TEXT NOT NULL,
                container_id TEXT NOT NULL,
                state TEXT NOT NULL,
                restart_count INTEGER NOT NULL DEFAULT 0,
                started_at TEXT,
                exit_code INTEGER,
                PRIMARY KEY (stack, service)
            );
            CREATE TABLE networks (
                stack TEXT PRIMARY KEY,
                bridge TEXT NOT NULL UNIQUE,
                subnet TEXT NOT NULL UNIQUE
            );
            CREATE TABLE addresses (
                stack TEXT NOT NULL,
                service TEXT NOT NULL,
                address TEXT NOT NULL UNIQUE,
                PRIMARY KEY (stack, service)
            );
            CREATE TABLE firewall_intent (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                intent TEXT NOT NULL,                   -- JSON
                updated_at TEXT NOT NULL
            );
            CREATE TABLE events (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                time TEXT NOT NULL,
                kind TEXT NOT NULL,
                stack TEXT,
                service TEXT,
                message TEXT NOT NULL,
                reason TEXT
            );
            CREATE INDEX events_by_stack ON events (stack, id);
            CREATE TABLE health_history (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                stack TEXT NOT NULL,
                service TEXT NOT NULL,
                time TEXT NOT NULL,
                status TEXT NOT NULL,
                exit_code INTEGER,
                output TEXT,
                duration_ms INTEGER NOT NULL
            );
            CREATE INDEX health_by_service ON health_history (stack, service, id);
            CREATE TABLE schedules (
                stack TEXT NOT NULL,
                name TEXT NOT NULL,
                cron TEXT NOT NULL,
                action TEXT NOT NULL,                   -- restart | update-check | command
                service TEXT,
                command TEXT,                           -- JSON array (argv) for action 'command'
                last_run TEXT,
                last_result TEXT,
                PRIMARY KEY (stack, name)
            );
            CREATE TABLE users (
                name TEXT PRIMARY KEY,
                password_hash TEXT NOT NULL,
                created_at TEXT NOT NULL
            );
            CREATE TABLE api_tokens (
                id TEXT PRIMARY KEY,
                user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
                token_hash TEXT NOT NULL,
                description TEXT,
                created_at TEXT NOT NULL,
                last_used_at TEXT
            );
            """),
        new(Module, 2, "schedules remember when they were registered (misfire policy after downtime)", """
            ALTER TABLE schedules ADD COLUMN created_at TEXT;
            """),
        new(Module, 3, "services a user stopped (unless-stopped and restart policies leave them down, across daemon restarts and reboots)", """
            CREATE TABLE service_stops (
                stack TEXT NOT NULL,
                service TEXT NOT NULL,
                stopped_at TEXT NOT NULL,
                stopped_by TEXT NOT NULL,
                PRIMARY KEY (stack, service)
            );
            """),
    ];
}
