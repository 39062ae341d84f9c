namespace Appliance.Orchestrator.Health;

/// <summary>One service's health and autoheal state at a moment; immutable, swapped on every change and streamed to the UI.</summary>
/// <param name="LastAction">The last thing autoheal decided about it, in words (null until something happened).</param>
public sealed record ServiceHealthSnapshot(string Stack, string Service, HealthState Health, AutohealState Autoheal, string? LastAction, DateTimeOffset Updated)
{
    public bool HasCheck { get; init; } = true;
}
