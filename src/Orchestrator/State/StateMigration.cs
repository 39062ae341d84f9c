namespace Appliance.Orchestrator.State;

/// <summary>
/// One step of a schema: applied once, in order of <see cref="Version"/> within its <see cref="Module"/>, inside a
/// transaction together with its row in <c>schema_version</c>. Modules keep areas apart ("core" is the daemon's;
/// the web UI uses "web"), so each area numbers its own migrations 1, 2, 3, ... and never edits a shipped one.
/// </summary>
/// <param name="Module">Lower-case name of the area that owns the tables, e.g. "core" or "web".</param>
/// <param name="Version">1, 2, 3, ... without gaps.</param>
/// <param name="Name">What it does, for the log and the schema_version table.</param>
/// <param name="Sql">One or more SQL statements.</param>
public sealed record StateMigration(string Module, int Version, string Name, string Sql);
