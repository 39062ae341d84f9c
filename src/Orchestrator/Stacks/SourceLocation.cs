namespace Appliance.Orchestrator.Stacks;

/// <summary>A 1-based line and column in a stack file.</summary>
public readonly record struct SourceLocation(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}
