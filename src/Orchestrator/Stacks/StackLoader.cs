using Appliance.Orchestrator.Stacks.Definition;
using Appliance.Orchestrator.Stacks.Parsing;
using Appliance.Orchestrator.Stacks.Resolved;
using Appliance.Orchestrator.Stacks.Yaml;

namespace Appliance.Orchestrator.Stacks;

/// <summary>
/// Loads a stack file (a Compose subset plus <c>x-appliance</c>) into a <see cref="ResolvedStack"/>,
/// reporting every problem at once. Never throws for bad input; thread-safe (no shared state).
/// </summary>
public static class StackLoader
{
    /// <summary>Files larger than this are refused (a stack file is a few kilobytes).</summary>
    public const int MaxFileBytes = 1024 * 1024;

    /// <summary>
    /// Loads a stack file from disk. Variables come from <paramref name="variables"/>, then from a
    /// <c>.env</c> file next to the stack file (as Compose does), then from parameter defaults.
    /// </summary>
    public static StackLoadResult Load(string path, IReadOnlyDictionary<string, string>? variables = null)
    {
        string text;
        try
        {
            if (Directory.Exists(path))
            {
                return Failed(path, "this is a directory; give the stack file inside it, e.g. " + Path.Combine(path, "stack.yaml"));
            }
            var info = new FileInfo(path);
            if (info.Exists && info.Length > MaxFileBytes)
            {
                return Failed(path, $"the file is {info.Length:N0} bytes; a stack file may be at most {MaxFileBytes:N0} bytes");
            }
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            string why = ex is FileNotFoundException or DirectoryNotFoundException ? "no such file" : ex.Message;
            return Failed(path, $"cannot read the stack file: {why}");
        }
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        string dotEnv = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", ".env");
        if (File.Exists(dotEnv))
        {
            foreach (string line in File.ReadLines(dotEnv))
            {
                string trimmed = line.Trim();
                int eq = trimmed.IndexOf('=');
                if (trimmed.Length == 0 || trimmed.StartsWith('#') || eq <= 0)
                {
                    continue;
                }
                merged[trimmed[..eq].Trim()] = StackResolver.Unquote(trimmed[(eq + 1)..].Trim());
            }
        }
        foreach (KeyValuePair<string, string> pair in variables ?? new Dictionary<string, string>())
        {
            merged[pair.Key] = pair.Value;
        }
        return LoadFromText(text, path, merged);
    }

    /// <summary>
    /// Loads stack text. <paramref name="fileName"/> names the file in diagnostics, and its folder is
    /// where <c>env_file</c> and relative bind mounts are looked up. <paramref name="variables"/> feed
    /// <c>${VAR}</c> interpolation (nothing is read from the process environment).
    /// </summary>
    public static StackLoadResult LoadFromText(string text, string fileName, IReadOnlyDictionary<string, string>? variables = null)
    {
        var diagnostics = new DiagnosticBag(fileName);
        StackDefinition? definition = null;
        ResolvedStack? stack = null;
        try
        {
            if (text.Length > MaxFileBytes)
            {
                return Failed(fileName, $"the text is {text.Length:N0} characters; a stack file may be at most {MaxFileBytes:N0}");
            }
            YNode? root = YamlTreeReader.Read(text, diagnostics);
            if (root is null && diagnostics.HasErrors)
            {
                return new StackLoadResult(null, null, diagnostics.ToSortedList());
            }
            variables ??= new Dictionary<string, string>();
            IReadOnlyList<ParameterDefinition> parameters = root is null ? [] : StackParser.ReadParameters(root, diagnostics);
            List<ResolvedParameter> values = StackResolver.ParameterValues(parameters, variables);
            IReadOnlyDictionary<string, string> all = variables;
            if (values.Count > 0)
            {
                var merged = new Dictionary<string, string>(variables, StringComparer.Ordinal);
                foreach (ResolvedParameter value in values)
                {
                    merged.TryAdd(value.Name, value.Value);
                }
                all = merged;
            }
            var interpolator = new Interpolator(all, diagnostics);
            definition = StackParser.Parse(root, fileName, interpolator, diagnostics, parameters);
            string baseDirectory = Path.GetDirectoryName(Path.GetFullPath(fileName)) ?? Directory.GetCurrentDirectory();
            stack = StackResolver.Resolve(definition, diagnostics, baseDirectory, all, values);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug in Appliance, not in the file: say so plainly rather than crash the caller.
            diagnostics.Error(new SourceLocation(1, 1), "", $"internal error while loading the stack (a bug in Appliance, please report it): {ex.GetType().Name}: {ex.Message}");
            stack = null;
        }
        return new StackLoadResult(diagnostics.HasErrors ? null : stack, definition, diagnostics.ToSortedList());
    }

    private static StackLoadResult Failed(string file, string message) =>
        new(null, null, [new StackDiagnostic(file, 1, 1, StackDiagnosticSeverity.Error, "", message)]);
}
