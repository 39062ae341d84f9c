namespace Appliance.Orchestrator.Stacks;

/// <summary>How bad a stack-file problem is: an error stops the stack from loading, a warning does not.</summary>
public enum StackDiagnosticSeverity
{
    Warning,
    Error,
}
