namespace Appliance.Orchestrator.Runtime;

/// <summary>The root of the runtime's errors; the leaves say what failed on which container.</summary>
public abstract class RuntimeException : Exception
{
    protected RuntimeException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
