namespace Appliance.Orchestrator.Stacks.Definition;

/// <summary>A catalog parameter: a variable asked for or generated at install (<c>{name, generate: secret, length}</c>).</summary>
public sealed record ParameterDefinition
{
    public required string Name { get; init; }

    public ParameterType Type { get; init; } = ParameterType.String;

    public string? Description { get; init; }

    public string? Default { get; init; }

    /// <summary>True for <c>generate: secret</c>: a random value is made at install when none is given.</summary>
    public bool Generate { get; init; }

    /// <summary>Length of a generated secret (characters).</summary>
    public int Length { get; init; } = 32;

    public required SourceLocation Location { get; init; }
}
