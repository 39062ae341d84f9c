namespace Appliance.Orchestrator.Stacks.Parsing;

/// <summary>Collects every problem found while loading one stack file (never stops at the first).</summary>
internal sealed class DiagnosticBag
{
    private readonly List<StackDiagnostic> _items = [];

    public DiagnosticBag(string file)
    {
        File = file;
    }

    public string File { get; }

    public bool HasErrors { get; private set; }

    public int Count => _items.Count;

    public void Error(SourceLocation at, string path, string message) => Add(File, at, StackDiagnosticSeverity.Error, path, message);

    public void Warning(SourceLocation at, string path, string message) => Add(File, at, StackDiagnosticSeverity.Warning, path, message);

    public void Add(string file, SourceLocation at, StackDiagnosticSeverity severity, string path, string message)
    {
        // Positions are 1-based everywhere; never hand out a zero even for an empty document.
        int line = Math.Max(1, at.Line);
        int column = Math.Max(1, at.Column);
        _items.Add(new StackDiagnostic(file, line, column, severity, path, message));
        if (severity == StackDiagnosticSeverity.Error)
        {
            HasErrors = true;
        }
    }

    /// <summary>The diagnostics sorted by file order, then line, column, and errors before warnings.</summary>
    public IReadOnlyList<StackDiagnostic> ToSortedList()
    {
        var list = new List<StackDiagnostic>(_items);
        // A stable sort keeps the order of reports on the same position.
        return [.. list
            .Select((d, i) => (d, i))
            .OrderBy(x => x.d.File == File ? 0 : 1)
            .ThenBy(x => x.d.File, StringComparer.Ordinal)
            .ThenBy(x => x.d.Line)
            .ThenBy(x => x.d.Column)
            .ThenBy(x => x.i)
            .Select(x => x.d)];
    }
}
