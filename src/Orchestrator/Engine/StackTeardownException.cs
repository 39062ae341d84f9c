namespace Appliance.Orchestrator.Engine;

/// <summary>`down` went through every step but some failed; each failure is listed.</summary>
public sealed class StackTeardownException : EngineException
{
    public StackTeardownException(string stack, IReadOnlyList<string> failures)
        : base($"stack '{stack}' was taken down with {failures.Count} failure(s):\n  " + string.Join("\n  ", failures))
    {
        Stack = stack;
        Failures = failures;
    }

    public string Stack { get; }

    public IReadOnlyList<string> Failures { get; }
}
