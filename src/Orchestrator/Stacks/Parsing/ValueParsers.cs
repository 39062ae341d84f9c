using System.Globalization;
using System.Text;

namespace Appliance.Orchestrator.Stacks.Parsing;

/// <summary>Parsers for the little languages inside stack values: durations, byte sizes, shell words.</summary>
internal static class ValueParsers
{
    /// <summary>
    /// Go/Compose durations: one or more NUMBER+UNIT with units us, ms, s, m, h (and ns, d),
    /// decimals allowed: <c>30s</c>, <c>1m30s</c>, <c>1.5h</c>, <c>500ms</c>. A bare <c>0</c> is zero.
    /// </summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (text == "0")
        {
            return true;
        }
        if (text.Length == 0 || text.Length > 64)
        {
            return false;
        }
        double totalTicks = 0;
        int i = 0;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }
            if (i == start || !double.TryParse(text.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
            {
                return false;
            }
            int unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
            {
                i++;
            }
            double ticksPerUnit = text[unitStart..i] switch
            {
                "ns" => 0.01,
                "us" or "µs" => 10,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                "d" => TimeSpan.TicksPerDay,
                _ => double.NaN,
            };
            if (double.IsNaN(ticksPerUnit))
            {
                return false;
            }
            totalTicks += number * ticksPerUnit;
        }
        if (totalTicks > TimeSpan.FromDays(3650).Ticks)
        {
            return false;
        }
        value = TimeSpan.FromTicks((long)totalTicks);
        return true;
    }

    /// <summary>
    /// Docker/Compose byte sizes: a number with an optional unit b, k, m, g, t (binary, case-insensitive,
    /// optionally followed by b or ib): <c>512m</c>, <c>1gb</c>, <c>1.5g</c>, <c>2GiB</c>, <c>1048576</c>.
    /// </summary>
    public static bool TryParseBytes(string text, out long value)
    {
        value = 0;
        string s = text.Trim().ToLowerInvariant();
        int i = 0;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
        {
            i++;
        }
        if (i == 0 || !double.TryParse(s.AsSpan(0, i), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
        {
            return false;
        }
        double multiplier = s[i..] switch
        {
            "" or "b" => 1,
            "k" or "kb" or "kib" => 1024d,
            "m" or "mb" or "mib" => 1024d * 1024,
            "g" or "gb" or "gib" => 1024d * 1024 * 1024,
            "t" or "tb" or "tib" => 1024d * 1024 * 1024 * 1024,
            _ => double.NaN,
        };
        double bytes = number * multiplier;
        if (double.IsNaN(bytes) || bytes > long.MaxValue / 2)
        {
            return false;
        }
        value = (long)bytes;
        return true;
    }

    /// <summary>
    /// Splits a command string into words the way Compose does (POSIX shell quoting, no expansion):
    /// <c>--opt "a b" 'c'</c> gives <c>--opt</c>, <c>a b</c>, <c>c</c>. Null if a quote is not closed.
    /// </summary>
    public static List<string>? SplitShellWords(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quote == '\'')
            {
                if (c == '\'')
                {
                    quote = '\0';
                }
                else
                {
                    current.Append(c);
                }
                continue;
            }
            if (quote == '"')
            {
                if (c == '"')
                {
                    quote = '\0';
                }
                else if (c == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`')
                {
                    current.Append(text[++i]);
                }
                else
                {
                    current.Append(c);
                }
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                }
                continue;
            }
            inWord = true;
            if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '\\' && i + 1 < text.Length)
            {
                current.Append(text[++i]);
            }
            else
            {
                current.Append(c);
            }
        }
        if (quote != '\0')
        {
            return null;
        }
        if (inWord)
        {
            words.Add(current.ToString());
        }
        return words;
    }

    /// <summary>Levenshtein distance, for "did you mean" suggestions on unknown keys.</summary>
    public static int Distance(string a, string b)
    {
        if (a.Length > 64 || b.Length > 64)
        {
            return int.MaxValue;
        }
        Span<int> previous = stackalloc int[b.Length + 1];
        Span<int> current = stackalloc int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            current.CopyTo(previous);
        }
        return previous[b.Length];
    }

    public static string? Suggest(string key, IEnumerable<string> known)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in known)
        {
            int d = Distance(key, candidate);
            if (d < bestDistance)
            {
                best = candidate;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.Max(1, key.Length / 3) ? best : null;
    }
}
