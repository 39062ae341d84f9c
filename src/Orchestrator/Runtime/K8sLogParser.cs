using System.Globalization;

namespace Appliance.Orchestrator.Runtime;

/// <summary>
/// Parses conmon's k8s-file log lines, <c>2026-11-24T14:13:10.885995647+00:00 stdout F text</c>:
/// RFC 3339 nano timestamp, stream, P (partial, continued by the next line) or F (full), text.
/// </summary>
internal sealed class K8sLogParser
{
    private readonly Dictionary<LogStream, string> _partial = new();

    /// <summary>A whole line, or null for a partial one (kept and joined) or an unreadable one.</summary>
    public LogLine? Parse(string line)
    {
        string[] parts = line.Split(' ', 4);
        if (parts.Length < 3 || ParseTimestamp(parts[0]) is not DateTimeOffset when)
        {
            return null;
        }
        LogStream stream = parts[1] == "stderr" ? LogStream.Stderr : LogStream.Stdout;
        string text = parts.Length == 4 ? parts[3] : "";
        if (_partial.Remove(stream, out string? before))
        {
            text = before + text;
        }
        if (parts[2] == "P")
        {
            _partial[stream] = text;
            return null;
        }
        return new LogLine(when, stream, text);
    }

    internal static DateTimeOffset? ParseTimestamp(string text)
    {
        // .NET parses at most 7 fractional digits; conmon writes 9.
        int dot = text.IndexOf('.');
        if (dot > 0)
        {
            int end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }
            if (end - dot - 1 > 7)
            {
                text = text[..(dot + 8)] + text[end..];
            }
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out DateTimeOffset when) ? when : null;
    }
}
