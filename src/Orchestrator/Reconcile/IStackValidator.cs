namespace Appliance.Orchestrator.Reconcile;

/// <summary>Checks a stack file before a deploy (an adapter over the stack parser's validator); every error at once,
/// each with file:line:column, key path and fix.</summary>
public interface IStackValidator
{
    IReadOnlyList<string> Validate(string stack, string stackFile, IReadOnlyDictionary<string, string> parameters);
}
