namespace Appliance.Orchestrator.Runtime;

/// <summary>What a command run inside a container did. <see cref="TimedOut"/>: it was killed at the deadline.</summary>
public sealed record ExecResult(int ExitCode, string Stdout, string Stderr, bool TimedOut = false)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;
}
