namespace Appliance.Orchestrator.Stacks;

/// <summary>
/// One problem in a stack file, at a 1-based line and column, with the key path it concerns
/// (<c>services.gitlab.ports[1]</c>) and a message saying what was expected and how to fix it.
/// </summary>
public sealed record StackDiagnostic(
    string File,
    int Line,
    int Column,
    StackDiagnosticSeverity Severity,
    string Path,
    string Message)
{
    public bool IsError => Severity == StackDiagnosticSeverity.Error;

    /// <summary><c>FILE:LINE:COL: error|warning: key.path: message</c>, the CLI and editor form.</summary>
    public override string ToString()
    {
        string severity = Severity == StackDiagnosticSeverity.Error ? "error" : "warning";
        return Path.Length == 0
            ? $"{File}:{Line}:{Column}: {severity}: {Message}"
            : $"{File}:{Line}:{Column}: {severity}: {Path}: {Message}";
    }
}
