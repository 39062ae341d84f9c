namespace Appliance.Web.Ui.Editor;

/// <summary>
/// Validates stack text for the editor (every error at once, each at its line). The daemon registers an
/// adapter to the stacks library's validator; until then <see cref="YamlStackValidator"/> checks the YAML
/// and the supported keys.
/// </summary>
public interface IStackValidator
{
    IReadOnlyList<StackDiagnostic> Validate(string text, string fileName);
}
