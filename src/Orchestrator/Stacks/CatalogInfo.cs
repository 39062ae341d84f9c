namespace Appliance.Orchestrator.Stacks;

/// <summary>How a stack shows in the catalog (top-level <c>x-appliance</c>).</summary>
public sealed record CatalogInfo
{
    public string? Title { get; init; }

    public string? Description { get; init; }

    public string? Version { get; init; }

    public string? Category { get; init; }

    /// <summary>Path of the icon relative to the stack file (e.g. <c>icon.svg</c>).</summary>
    public string? Icon { get; init; }

    public string? Website { get; init; }
}
