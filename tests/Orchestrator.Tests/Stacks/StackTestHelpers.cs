using Appliance.Orchestrator.Stacks;
using Xunit.Sdk;

namespace Appliance.Orchestrator.Tests.Stacks;

internal static class StackTestHelpers
{
    public const string File = "/tmp/appliance-stack-tests/demo/stack.yaml";

    public static string RepoRoot { get; } = FindRepoRoot();

    public static StackLoadResult Load(string yaml, IReadOnlyDictionary<string, string>? variables = null) =>
        StackLoader.LoadFromText(yaml, File, variables);

    /// <summary>Asserts there is a diagnostic of this severity exactly at LINE:COL whose path and message contain the given parts.</summary>
    public static StackDiagnostic AssertAt(this StackLoadResult result, int line, int column, StackDiagnosticSeverity severity, string path, string messagePart)
    {
        StackDiagnostic? found = result.Diagnostics.FirstOrDefault(d =>
            d.Line == line && d.Column == column && d.Severity == severity && d.Path == path &&
            d.Message.Contains(messagePart, StringComparison.Ordinal));
        if (found is null)
        {
            throw new XunitException(
                $"expected {severity} at {line}:{column} on '{path}' containing \"{messagePart}\"; got:\n" +
                string.Join("\n", result.Diagnostics.Select(d => d.ToString())));
        }
        return found;
    }

    public static StackDiagnostic AssertError(this StackLoadResult result, int line, int column, string path, string messagePart)
    {
        StackDiagnostic d = result.AssertAt(line, column, StackDiagnosticSeverity.Error, path, messagePart);
        Assert.Null(result.Stack);
        return d;
    }

    public static void AssertValid(this StackLoadResult result)
    {
        if (result.HasErrors || result.Stack is null)
        {
            throw new XunitException("expected the stack to load; got:\n" + string.Join("\n", result.Diagnostics.Select(d => d.ToString())));
        }
    }

    private static string FindRepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !System.IO.File.Exists(Path.Combine(dir, "Appliance.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }
        return dir ?? throw new InvalidOperationException($"no Appliance.sln above {AppContext.BaseDirectory}");
    }
}
