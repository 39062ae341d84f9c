namespace Appliance.Orchestrator.Engine;

/// <summary>The root of the engine's errors.</summary>
public abstract class EngineException : Exception
{
    protected EngineException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
