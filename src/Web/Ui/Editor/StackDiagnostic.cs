namespace Appliance.Web.Ui.Editor;

/// <summary>One validation error at its place in the stack file.</summary>
public sealed record StackDiagnostic(int Line, int Column, string KeyPath, string Message)
{
    public override string ToString() => $"{Line}:{Column} {KeyPath}: {Message}";
}
