namespace Appliance.Orchestrator.Reconcile;

/// <summary>The outcome of a command run inside a container (health checks, scheduled commands).</summary>
public sealed record ExecResult(int ExitCode, string Output);
