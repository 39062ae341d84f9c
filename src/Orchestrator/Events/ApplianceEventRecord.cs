namespace Appliance.Orchestrator.Events;

/// <summary>Something that happened, as stored: time, kind (<see cref="EventKind"/>), what it concerns, what and why.</summary>
/// <param name="Id">Increasing; 0 before it is stored.</param>
public sealed record ApplianceEventRecord(long Id, DateTimeOffset Time, string Kind, string? Stack, string? Service, string Message, string? Reason = null);
