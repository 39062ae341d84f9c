namespace Appliance.Web.Ui.Editor;

/// <summary>
/// Validates stack text for the editor and the API (every error at once, each at its line):
/// <see cref="StackLoaderValidator"/>, the stacks library's loader, unless the host registers another.
/// </summary>
public interface IStackValidator
{
    IReadOnlyList<StackDiagnostic> Validate(string text, string fileName);
}
