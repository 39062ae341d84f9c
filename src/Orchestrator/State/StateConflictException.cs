namespace Appliance.Orchestrator.State;

/// <summary>The change conflicts with one in progress (e.g. a second deploy of a stack while its plan runs); try again later.</summary>
public sealed class StateConflictException(string message) : Exception(message);
