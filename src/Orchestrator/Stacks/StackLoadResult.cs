using Appliance.Orchestrator.Stacks.Definition;
using Appliance.Orchestrator.Stacks.Resolved;

namespace Appliance.Orchestrator.Stacks;

/// <summary>
/// The outcome of loading a stack file: the resolved stack (null when there is any error), the
/// definition as written (null only when the YAML itself could not be read), and every diagnostic,
/// sorted by line.
/// </summary>
public sealed record StackLoadResult(ResolvedStack? Stack, StackDefinition? Definition, IReadOnlyList<StackDiagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.IsError);

    public IEnumerable<StackDiagnostic> Errors => Diagnostics.Where(d => d.IsError);

    public IEnumerable<StackDiagnostic> Warnings => Diagnostics.Where(d => !d.IsError);
}
