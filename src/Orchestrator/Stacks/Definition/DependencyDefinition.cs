namespace Appliance.Orchestrator.Stacks.Definition;

/// <summary>A <c>depends_on</c> entry.</summary>
public sealed record DependencyDefinition(
    string Service,
    DependencyCondition Condition,
    bool Restart,
    bool Required,
    SourceLocation Location,
    string Path);
