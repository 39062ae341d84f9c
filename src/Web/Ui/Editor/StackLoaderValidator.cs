using Appliance.Orchestrator.Stacks;

namespace Appliance.Web.Ui.Editor;

/// <summary>The editor's validator: the stacks library's <see cref="StackLoader"/>, the same one the CLI uses.</summary>
public sealed class StackLoaderValidator : IStackValidator
{
    public IReadOnlyList<StackDiagnostic> Validate(string text, string fileName)
    {
        // Variables the file declares as parameters get their defaults; undeclared ones are reported by the loader.
        StackLoadResult result = StackLoader.LoadFromText(text, fileName);
        return [.. result.Diagnostics.Where(d => d.IsError).Select(d => new StackDiagnostic(d.Line, d.Column, d.Path, d.Message))];
    }
}
