using Appliance.Orchestrator.Stacks;

namespace Appliance.Web.Ui.Editor;

/// <summary>
/// The editor's and the deploy API's validator backed by the stacks library (<see cref="StackLoader"/>):
/// every error of the full format (ports, dependencies, cycles, volumes, durations, ...) at its line and
/// column. Warnings are left out: they never block a deploy.
/// </summary>
public sealed class StackLoaderValidator : IStackValidator
{
    public IReadOnlyList<StackDiagnostic> Validate(string text, string fileName) =>
        [.. StackLoader.LoadFromText(text, fileName).Errors.Select(d => new StackDiagnostic(d.Line, d.Column, d.Path, d.Message))];
}
