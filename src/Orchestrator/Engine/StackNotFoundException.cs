namespace Appliance.Orchestrator.Engine;

/// <summary>No deployed stack (or service) by that name.</summary>
public sealed class StackNotFoundException : EngineException
{
    public StackNotFoundException(string stack, string? service = null)
        : base(service is null ? $"stack '{stack}' is not deployed (see `appliance stack ps`)" : $"stack '{stack}' has no service '{service}'")
    {
        Stack = stack;
        Service = service;
    }

    public string Stack { get; }

    public string? Service { get; }
}
