namespace Appliance.Orchestrator.Stacks.Definition;

/// <summary>A <c>healthcheck</c> as written; timings left null take the Compose defaults when resolved.</summary>
public sealed record HealthcheckDefinition
{
    public required HealthcheckKind Kind { get; init; }

    /// <summary>The argv (Exec) or the one shell command (Shell); empty for Image and Disabled.</summary>
    public IReadOnlyList<string> Test { get; init; } = [];

    public TimeSpan? Interval { get; init; }

    public TimeSpan? Timeout { get; init; }

    public int? Retries { get; init; }

    public TimeSpan? StartPeriod { get; init; }

    public TimeSpan? StartInterval { get; init; }

    public required SourceLocation Location { get; init; }
}
