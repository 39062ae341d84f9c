namespace Appliance.Orchestrator.Runtime;

/// <summary>Which output of the container a <see cref="LogLine"/> came from.</summary>
public enum LogStream
{
    Stdout,
    Stderr,
}

/// <summary>One line the container printed, as conmon time-stamped it.</summary>
public sealed record LogLine(DateTimeOffset Timestamp, LogStream Stream, string Text);
