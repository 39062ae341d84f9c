using System.Text;

namespace Appliance.Orchestrator.Stacks.Parsing;

/// <summary>
/// Compose variable interpolation: <c>$VAR</c>, <c>${VAR}</c>, <c>${VAR:-default}</c>, <c>${VAR-default}</c>,
/// <c>${VAR:?error}</c>, <c>${VAR?error}</c>, <c>${VAR:+alternative}</c>, <c>${VAR+alternative}</c> and
/// <c>$$</c> for a literal dollar. Defaults may nest (<c>${A:-${B}}</c>).
/// </summary>
internal sealed class Interpolator(IReadOnlyDictionary<string, string> variables, DiagnosticBag diagnostics)
{
    private const int MaxNesting = 8;
    private readonly HashSet<string> _warnedUnset = new(StringComparer.Ordinal);

    /// <summary>Variables that were referenced but not set (each reported once).</summary>
    public IReadOnlyCollection<string> Unset => _warnedUnset;

    public string Interpolate(string text, SourceLocation at, string path)
    {
        if (!text.Contains('$'))
        {
            return text;
        }
        var sb = new StringBuilder(text.Length);
        Expand(text, at, path, sb, 0);
        return sb.ToString();
    }

    private bool Expand(string text, SourceLocation at, string path, StringBuilder sb, int depth)
    {
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c != '$')
            {
                sb.Append(c);
                i++;
                continue;
            }
            if (i + 1 >= text.Length)
            {
                return Fail(at, path, "a '$' at the end of the value; write '$$' for a literal '$'");
            }
            char next = text[i + 1];
            if (next == '$')
            {
                sb.Append('$');
                i += 2;
                continue;
            }
            if (IsNameStart(next))
            {
                int end = i + 1;
                while (end < text.Length && IsNameChar(text[end]))
                {
                    end++;
                }
                AppendVariable(text[(i + 1)..end], at, path, sb);
                i = end;
                continue;
            }
            if (next != '{')
            {
                return Fail(at, path, $"'${next}' is not a variable reference; write '${{NAME}}' for a variable or '$$' for a literal '$'");
            }
            int close = FindClose(text, i + 2);
            if (close < 0)
            {
                return Fail(at, path, "'${' has no closing '}'; write '${NAME}' or '${NAME:-default}'");
            }
            if (!Substitute(text[(i + 2)..close], at, path, sb, depth))
            {
                return false;
            }
            i = close + 1;
        }
        return true;
    }

    private bool Substitute(string body, SourceLocation at, string path, StringBuilder sb, int depth)
    {
        int nameEnd = 0;
        while (nameEnd < body.Length && (nameEnd == 0 ? IsNameStart(body[nameEnd]) : IsNameChar(body[nameEnd])))
        {
            nameEnd++;
        }
        if (nameEnd == 0)
        {
            return Fail(at, path, $"'${{{body}}}' does not start with a variable name; names are letters, digits and '_', e.g. '${{HTTP_PORT:-8080}}'");
        }
        string name = body[..nameEnd];
        bool isSet = variables.TryGetValue(name, out string? value);
        if (nameEnd == body.Length)
        {
            AppendVariable(name, at, path, sb);
            return true;
        }
        string op;
        if (body.Length > nameEnd + 1 && body[nameEnd] == ':' && body[nameEnd + 1] is '-' or '?' or '+')
        {
            op = body.Substring(nameEnd, 2);
        }
        else if (body[nameEnd] is '-' or '?' or '+')
        {
            op = body.Substring(nameEnd, 1);
        }
        else
        {
            return Fail(at, path, $"'${{{body}}}' is not a valid substitution; use ${{NAME}}, ${{NAME:-default}}, ${{NAME-default}}, ${{NAME:?message}} or ${{NAME:+alternative}}");
        }
        string argument = body[(nameEnd + op.Length)..];
        bool present = op.StartsWith(':') ? isSet && value!.Length > 0 : isSet;
        switch (op[^1])
        {
            case '-':
                if (present)
                {
                    sb.Append(value);
                    return true;
                }
                return Nested(argument, at, path, sb, depth);
            case '+':
                return !present || Nested(argument, at, path, sb, depth);
            default:
                if (present)
                {
                    sb.Append(value);
                    return true;
                }
                var message = new StringBuilder();
                Nested(argument, at, path, message, depth);
                return Fail(at, path, $"variable {name} is required: {(message.Length > 0 ? message.ToString() : "it is not set")}; set it (install parameter or .env file)");
        }
    }

    private bool Nested(string text, SourceLocation at, string path, StringBuilder sb, int depth)
    {
        if (depth >= MaxNesting)
        {
            return Fail(at, path, $"variable defaults nest deeper than {MaxNesting} levels");
        }
        return Expand(text, at, path, sb, depth + 1);
    }

    private void AppendVariable(string name, SourceLocation at, string path, StringBuilder sb)
    {
        if (variables.TryGetValue(name, out string? value))
        {
            sb.Append(value);
        }
        else if (_warnedUnset.Add(name))
        {
            diagnostics.Warning(at, path, $"variable {name} is not set, so it is replaced by an empty string; set it, or give a default: ${{{name}:-value}}");
        }
    }

    private bool Fail(SourceLocation at, string path, string message)
    {
        diagnostics.Error(at, path, message);
        return false;
    }

    private static int FindClose(string text, int from)
    {
        int depth = 0;
        for (int i = from; i < text.Length; i++)
        {
            if (text[i] == '$' && i + 1 < text.Length && text[i + 1] == '{')
            {
                depth++;
                i++;
            }
            else if (text[i] == '}')
            {
                if (depth == 0)
                {
                    return i;
                }
                depth--;
            }
        }
        return -1;
    }

    private static bool IsNameStart(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_';

    private static bool IsNameChar(char c) => IsNameStart(c) || c is >= '0' and <= '9';
}
