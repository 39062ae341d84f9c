using System.Globalization;
using Appliance.Orchestrator.Stacks.Definition;
using Appliance.Orchestrator.Stacks.Yaml;

namespace Appliance.Orchestrator.Stacks.Parsing;

/// <summary>
/// Turns the positioned YAML tree into a <see cref="StackDefinition"/>, checking every key and value
/// type locally (ports, durations, sizes, ...) and reporting each problem with its position and key
/// path. Cross-references (dependencies, volumes, duplicate ports) are the resolver's job.
/// </summary>
internal sealed partial class StackParser
{
    private static readonly string[] TopLevelKeys = ["name", "services", "volumes", "networks", "x-appliance"];

    private static readonly Dictionary<string, (bool IsError, string Why)> UnsupportedTopLevel = new(StringComparer.Ordinal)
    {
        ["version"] = (false, "the Compose file version is obsolete and ignored; remove it"),
        ["secrets"] = (true, "Compose secrets are not supported; pass the value as an install parameter in x-appliance.parameters and use it through ${NAME}"),
        ["configs"] = (true, "Compose configs are not supported; bind-mount the file instead (volumes: ['./file:/path:ro'])"),
        ["include"] = (true, "include is not supported; put every service in this one file"),
    };

    private readonly DiagnosticBag _d;
    private readonly Interpolator _vars;

    private StackParser(DiagnosticBag diagnostics, Interpolator interpolator)
    {
        _d = diagnostics;
        _vars = interpolator;
    }

    /// <summary>Reads the top-level <c>x-appliance.parameters</c> without interpolation (they feed it).</summary>
    public static IReadOnlyList<ParameterDefinition> ReadParameters(YNode root, DiagnosticBag diagnostics)
    {
        var parser = new StackParser(diagnostics, new Interpolator(new Dictionary<string, string>(), diagnostics));
        if (root is YMapping map && map.Get("x-appliance") is YMapping ext && ext.Get("parameters") is YNode parameters)
        {
            return parser.Parameters(parameters, "x-appliance.parameters");
        }
        return [];
    }

    public static StackDefinition Parse(YNode? root, string file, Interpolator interpolator, DiagnosticBag diagnostics, IReadOnlyList<ParameterDefinition> parameters)
    {
        var parser = new StackParser(diagnostics, interpolator);
        return parser.Stack(root, file, parameters);
    }

    private StackDefinition Stack(YNode? root, string file, IReadOnlyList<ParameterDefinition> parameters)
    {
        var stack = new StackDefinition { File = file };
        if (root is null || root is YScalar { IsNull: true })
        {
            _d.Error(new SourceLocation(1, 1), "", "the stack file is empty; it needs at least 'services:' with one service, e.g. services: {web: {image: nginx}}");
            return stack;
        }
        if (root is not YMapping top)
        {
            _d.Error(root.Start, "", $"a stack file is a mapping of keys like 'services:', but this is {root.KindName}");
            return stack;
        }
        bool sawServices = false;
        foreach ((YScalar key, YNode value) in top.Entries)
        {
            switch (key.Value)
            {
                case "name":
                    string? name = Text(value, "name", "a stack name");
                    if (name is not null && !IsValidName(name))
                    {
                        _d.Error(value.Start, "name", $"'{name}' is not a valid stack name; use lower-case letters, digits, '-' and '_', starting with a letter or digit");
                    }
                    stack = stack with { Name = name };
                    break;
                case "services":
                    sawServices = true;
                    stack = stack with { Services = Services(value) };
                    break;
                case "volumes":
                    stack = stack with { Volumes = TopVolumes(value) };
                    break;
                case "networks":
                    stack = stack with { Networks = TopNetworks(value) };
                    break;
                case "x-appliance":
                    stack = stack with { Appliance = StackExtensionOf(value, parameters) };
                    break;
                default:
                    Unknown(key, "", TopLevelKeys, UnsupportedTopLevel);
                    break;
            }
        }
        if (!sawServices)
        {
            _d.Error(top.Start, "", "the stack has no 'services:'; add at least one service, e.g. services: {web: {image: nginx}}");
        }
        return stack;
    }

    // ---- helpers shared by the partial files ----

    internal static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    internal static string Index(string path, int index) => $"{path}[{index}]";

    internal static bool IsValidName(string name)
    {
        if (name.Length is 0 or > 63 || !(char.IsAsciiLetterLower(name[0]) || char.IsAsciiDigit(name[0])))
        {
            return false;
        }
        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Reports an unknown key: silent for <c>x-*</c> extensions, the table's severity for known Compose keys, else an error with a suggestion.</summary>
    private void Unknown(YScalar key, string path, IReadOnlyCollection<string> known, IReadOnlyDictionary<string, (bool IsError, string Why)>? unsupported = null)
    {
        string full = Join(path, key.Value);
        if (key.Value.StartsWith("x-", StringComparison.Ordinal))
        {
            return;
        }
        if (unsupported is not null && unsupported.TryGetValue(key.Value, out (bool IsError, string Why) entry))
        {
            if (entry.IsError)
            {
                _d.Error(key.Start, full, $"'{key.Value}' is not supported by Appliance: {entry.Why}");
            }
            else
            {
                _d.Warning(key.Start, full, $"'{key.Value}' is ignored: {entry.Why}");
            }
            return;
        }
        string? suggestion = ValueParsers.Suggest(key.Value, known);
        string hint = suggestion is not null ? $"did you mean '{suggestion}'?" : $"the keys allowed here are: {string.Join(", ", known)}";
        _d.Error(key.Start, full, $"unknown key '{key.Value}'; {hint}");
    }

    /// <summary>
    /// A list whose items are each a short string form or a long mapping form (ports, mounts);
    /// YAML null is an empty list. Items that fail to parse are left out (their errors are reported).
    /// </summary>
    private List<T> ShortOrLongList<T>(YNode node, string path, string expected,
        Func<YMapping, string, T?> longForm, Func<YNode, string, T?> shortForm) where T : class
    {
        var result = new List<T>();
        if (node is YScalar { IsNull: true })
        {
            return result;
        }
        if (node is not YSequence list)
        {
            TypeError(node, path, expected);
            return result;
        }
        for (int i = 0; i < list.Items.Count; i++)
        {
            YNode item = list.Items[i];
            string p = Index(path, i);
            T? value = item is YMapping map ? longForm(map, p) : shortForm(item, p);
            if (value is not null)
            {
                result.Add(value);
            }
        }
        return result;
    }

    private void TypeError(YNode node, string path, string expected) =>
        _d.Error(node.Start, path, $"expected {expected}, but this is {node.KindName}");

    /// <summary>A scalar's text, interpolated. Null (and an error) for collections and YAML null.</summary>
    private string? Text(YNode node, string path, string expected)
    {
        if (node is YScalar scalar && !scalar.IsNull)
        {
            return _vars.Interpolate(scalar.Value, scalar.Start, path);
        }
        TypeError(node, path, expected);
        return null;
    }

    /// <summary>A scalar's text or null for YAML null (no error).</summary>
    private string? OptionalText(YNode node, string path, string expected)
    {
        if (node is YScalar { IsNull: true })
        {
            return null;
        }
        return Text(node, path, expected);
    }

    private bool? Bool(YNode node, string path)
    {
        string? text = Text(node, path, "true or false");
        switch (text)
        {
            case null:
                return null;
            case "true" or "True" or "TRUE":
                return true;
            case "false" or "False" or "FALSE":
                return false;
            default:
                _d.Error(node.Start, path, $"'{text}' is not a boolean; write true or false");
                return null;
        }
    }

    private long? Integer(YNode node, string path, long min, long max, string what)
    {
        string? text = Text(node, path, what);
        if (text is null)
        {
            return null;
        }
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) || value < min || value > max)
        {
            _d.Error(node.Start, path, $"'{Short(text)}' is not {what}; expected a whole number from {min} to {max}");
            return null;
        }
        return value;
    }

    private TimeSpan? Duration(YNode node, string path)
    {
        string? text = Text(node, path, "a duration like 30s or 1m30s");
        if (text is null)
        {
            return null;
        }
        if (!ValueParsers.TryParseDuration(text, out TimeSpan value))
        {
            string hint = long.TryParse(text, out _) ? $"; add a unit, e.g. '{text}s'" : "";
            _d.Error(node.Start, path, $"'{Short(text)}' is not a duration; expected NUMBER+UNIT with units us, ms, s, m, h, e.g. '30s', '1m30s', '1.5h'{hint}");
            return null;
        }
        return value;
    }

    private long? Bytes(YNode node, string path)
    {
        string? text = Text(node, path, "a size like 512m or 1g");
        if (text is null)
        {
            return null;
        }
        if (!ValueParsers.TryParseBytes(text, out long value))
        {
            _d.Error(node.Start, path, $"'{Short(text)}' is not a size; expected a number of bytes with an optional unit b, k, m, g (binary), e.g. '512m', '1gb', '1.5g'");
            return null;
        }
        return value;
    }

    /// <summary>The entries of a mapping with each one's key path; none (and a type error) when the node is not a mapping.</summary>
    private IEnumerable<(YScalar Key, YNode Value, string Path)> Entries(YNode node, string path, string expected) =>
        Mapping(node, path, expected)?.Entries.Select(e => (e.Key, e.Value, Join(path, e.Key.Value))) ?? [];

    private YMapping? Mapping(YNode node, string path, string expected)
    {
        if (node is YMapping mapping)
        {
            return mapping;
        }
        TypeError(node, path, expected);
        return null;
    }

    /// <summary>A list of texts; a single text is accepted as a one-item list when <paramref name="allowSingle"/>.</summary>
    private List<(string Value, YNode Node, string Path)> TextList(YNode node, string path, string expected, bool allowSingle = false)
    {
        var result = new List<(string, YNode, string)>();
        if (allowSingle && node is YScalar { IsNull: false } single)
        {
            string? text = Text(single, path, expected);
            if (text is not null)
            {
                result.Add((text, single, path));
            }
            return result;
        }
        if (node is YScalar { IsNull: true })
        {
            return result;
        }
        if (node is not YSequence sequence)
        {
            TypeError(node, path, $"a list of {expected}");
            return result;
        }
        for (int i = 0; i < sequence.Items.Count; i++)
        {
            string itemPath = Index(path, i);
            string? text = Text(sequence.Items[i], itemPath, expected);
            if (text is not null)
            {
                result.Add((text, sequence.Items[i], itemPath));
            }
        }
        return result;
    }

    /// <summary><c>["a", "b"]</c> as is, or a string split into words like a shell would (Compose command/entrypoint).</summary>
    private List<string>? Words(YNode node, string path)
    {
        if (node is YScalar { IsNull: true })
        {
            return null;
        }
        if (node is YScalar scalar)
        {
            string? text = Text(scalar, path, "a command");
            if (text is null)
            {
                return null;
            }
            List<string>? words = ValueParsers.SplitShellWords(text);
            if (words is null)
            {
                _d.Error(node.Start, path, "a quote in this command is not closed; close it, or write the command as a list: [\"sh\", \"-c\", \"...\"]");
            }
            return words;
        }
        return [.. TextList(node, path, "command words").Select(x => x.Value)];
    }

    /// <summary><c>KEY=VALUE</c> list or <c>KEY: VALUE</c> mapping (labels, extra_hosts use ':' in lists too).</summary>
    private List<KeyValuePair<string, string>> Pairs(YNode node, string path, string what, char separator = '=')
    {
        var result = new List<KeyValuePair<string, string>>();
        if (node is YMapping mapping)
        {
            foreach ((YScalar key, YNode value) in mapping.Entries)
            {
                string itemPath = Join(path, key.Value);
                string text = value is YScalar { IsNull: true } ? "" : Text(value, itemPath, $"the value of {what} '{key.Value}'") ?? "";
                result.Add(new(key.Value, text));
            }
            return result;
        }
        foreach ((string text, YNode item, string itemPath) in TextList(node, path, $"{what} entries"))
        {
            int cut = text.IndexOf(separator);
            if (separator == ':' && cut < 0)
            {
                cut = text.IndexOf('=');
            }
            if (cut <= 0)
            {
                if (separator == '=')
                {
                    result.Add(new(text, ""));
                    continue;
                }
                _d.Error(item.Start, itemPath, $"'{Short(text)}' is not a {what} entry; expected NAME{separator}VALUE");
                continue;
            }
            result.Add(new(text[..cut], text[(cut + 1)..]));
        }
        return result;
    }

    private static string Short(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
