namespace Appliance.Orchestrator.Engine;

/// <summary>One thing the engine did or is doing; the UI shows them live, the CLI prints them.</summary>
public sealed record EngineEvent(DateTimeOffset Time, string Stack, string? Service, EngineStep Step, string Message, bool Failed = false)
{
    public override string ToString() =>
        $"{Time:HH:mm:ss.fff} {Stack}{(Service is null ? "" : "/" + Service)} {Step}: {Message}{(Failed ? " (FAILED)" : "")}";
}
