namespace Appliance.Orchestrator.Stacks.Definition;

/// <summary><c>x-appliance.autoheal</c> as written (<c>true</c>/<c>false</c> or a mapping).</summary>
public sealed record AutohealDefinition(bool? Enabled, int? MaxRestarts, TimeSpan? Window, TimeSpan? Backoff, SourceLocation Location);
