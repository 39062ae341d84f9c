namespace Appliance.Orchestrator.State;

/// <summary>The state database could not be opened, migrated or written; the message names the file and the fix.</summary>
public sealed class StateException(string message, Exception? inner = null) : Exception(message, inner);
