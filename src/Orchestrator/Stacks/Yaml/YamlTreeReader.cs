using Appliance.Orchestrator.Stacks.Parsing;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Appliance.Orchestrator.Stacks.Yaml;

/// <summary>
/// Reads YAML text into a <see cref="YNode"/> tree with YamlDotNet's event parser, reporting syntax
/// errors, tabs in indentation, duplicate keys, bad merge keys, unknown aliases, nesting that is too
/// deep and alias expansion that is too big (billion laughs) as positioned diagnostics.
/// </summary>
internal static class YamlTreeReader
{
    /// <summary>Nesting deeper than this is refused (a stack file needs about six levels).</summary>
    public const int MaxDepth = 64;

    /// <summary>A document whose aliases (and merge keys) would add more nodes than this is refused.</summary>
    public const long MaxExpandedNodes = 100_000;

    public static YNode? Read(string text, DiagnosticBag diagnostics)
    {
        if (ReportUnprintable(text, diagnostics))
        {
            return null;
        }
        var reader = new State(diagnostics);
        try
        {
            return reader.Run(text);
        }
        catch (YamlException ex)
        {
            reader.ReportTabs(text);
            var at = new SourceLocation((int)Math.Min(ex.Start.Line, int.MaxValue), (int)Math.Min(ex.Start.Column, int.MaxValue));
            bool explainedByTabs = reader.TabLines.Count > 0 && ex.Message.Contains("tab", StringComparison.OrdinalIgnoreCase);
            if (!reader.TabLines.Contains(at.Line) && !explainedByTabs)
            {
                diagnostics.Error(at, "", $"YAML syntax error: {CleanMessage(ex.Message)}. Check the indentation of this line and the one above it, and that each key is followed by ': '.");
            }
            return null;
        }
        catch (TreeAbortedException)
        {
            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IndexOutOfRangeException or FormatException or OverflowException)
        {
            // YamlDotNet's scanner throws these on some malformed input instead of a YamlException.
            _ = ex; // YamlDotNet's own text ("Operation is not valid due to the current state of the object") helps nobody.
            diagnostics.Error(reader.LastPosition, "", "YAML syntax error after this point: the YAML reader could not go on. Look for a '[', '{' or quote that is not closed, or a wrong indentation, from here on");
            return null;
        }
    }

    /// <summary>Reports characters YAML does not allow (control characters, lone surrogates), each at its position (the first few).</summary>
    private static bool ReportUnprintable(string text, DiagnosticBag diagnostics)
    {
        const int MaxReported = 5;
        int line = 1;
        int column = 1;
        int found = 0;
        SourceLocation first = default;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                column++;
                continue;
            }
            bool ok = c is '\t' or '\n' or '\r' or '\u0085' or (>= ' ' and <= '~') or (>= '\u00A0' and <= '\uD7FF') or (>= '\uE000' and <= '\uFFFD');
            if (!ok)
            {
                if (found == 0)
                {
                    first = new SourceLocation(line, column);
                }
                if (found < MaxReported)
                {
                    diagnostics.Error(new SourceLocation(line, column), "", $"character U+{(int)c:X4} is not allowed in a YAML file; remove it");
                }
                found++;
            }
            if (c == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }
        if (found > MaxReported)
        {
            diagnostics.Error(first, "", $"{found:N0} characters in this file are not allowed in YAML (only the first {MaxReported} are listed); is it a text file saved as UTF-8?");
        }
        return found > 0;
    }

    private static string CleanMessage(string message)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: 3, Col: 6, Idx: 21): ".
        if (message.StartsWith("(Line:", StringComparison.Ordinal))
        {
            int cut = message.IndexOf("): ", StringComparison.Ordinal);
            if (cut >= 0)
            {
                message = message[(cut + 3)..];
            }
        }
        return message.TrimEnd('.', ' ');
    }

    private static SourceLocation At(Mark mark) =>
        new((int)Math.Min(mark.Line, int.MaxValue), (int)Math.Min(mark.Column, int.MaxValue));

    private sealed class TreeAbortedException : Exception
    {
    }

    private sealed class Frame(YNode node)
    {
        public YNode Node { get; } = node;

        public YScalar? PendingKey { get; set; }

        public bool KeyIsBad { get; set; }

        public List<(YScalar Key, YNode Value)> Raw { get; } = [];
    }

    private sealed class State(DiagnosticBag diagnostics)
    {
        private readonly Dictionary<string, YNode> _anchors = new(StringComparer.Ordinal);
        private readonly Stack<Frame> _stack = new();
        private YNode? _root;
        private long _created;

        public HashSet<int> TabLines { get; } = [];

        public SourceLocation LastPosition { get; private set; } = new(1, 1);

        public YNode? Run(string text)
        {
            var parser = new Parser(new StringReader(text));
            int documents = 0;
            while (parser.MoveNext())
            {
                ParsingEvent e = parser.Current!;
                LastPosition = At(e.End);
                switch (e)
                {
                    case DocumentStart start when !start.IsImplicit || documents > 0:
                        documents++;
                        if (documents > 1)
                        {
                            diagnostics.Error(At(e.Start), "", "a stack file holds one YAML document; remove this '---' and everything after it, or move it to its own file");
                            return _root;
                        }
                        break;
                    case DocumentStart:
                        documents++;
                        break;
                    case Scalar scalar:
                        var node = new YScalar(At(scalar.Start), scalar.Value, scalar.Style);
                        Anchor(scalar.Anchor, node);
                        Attach(node);
                        break;
                    case AnchorAlias alias:
                        if (_anchors.TryGetValue(alias.Value.Value, out YNode? target))
                        {
                            Attach(target, At(alias.Start));
                        }
                        else
                        {
                            diagnostics.Error(At(alias.Start), "", $"alias '*{alias.Value.Value}' refers to no anchor; define '&{alias.Value.Value}' on a value above this line");
                            Attach(new YScalar(At(alias.Start), "", ScalarStyle.Plain));
                        }
                        break;
                    case MappingStart map:
                        Open(new YMapping(At(map.Start)), map.Anchor);
                        break;
                    case SequenceStart seq:
                        Open(new YSequence(At(seq.Start)), seq.Anchor);
                        break;
                    case MappingEnd:
                    case SequenceEnd:
                        Close();
                        break;
                }
            }
            return _root;
        }

        public void ReportTabs(string text)
        {
            int line = 1;
            int i = 0;
            while (i < text.Length)
            {
                int column = 1;
                while (i < text.Length && (text[i] == ' ' || text[i] == '\t'))
                {
                    if (text[i] == '\t' && TabLines.Add(line))
                    {
                        diagnostics.Error(new SourceLocation(line, column), "", "tab character in the indentation; YAML indents with spaces only. Replace the tab with spaces");
                    }
                    i++;
                    column++;
                }
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }
                i++;
                line++;
            }
        }

        private void Anchor(AnchorName anchor, YNode node)
        {
            // Anchors are registered once their node is complete, so `&a [*a]` is an unknown alias, not a cycle.
            if (!anchor.IsEmpty && node is YScalar)
            {
                _anchors[anchor.Value] = node;
            }
        }

        private void Open(YNode node, AnchorName anchor)
        {
            if (_stack.Count >= MaxDepth)
            {
                diagnostics.Error(node.Start, "", $"nesting deeper than {MaxDepth} levels; a stack file needs far fewer, flatten this value");
                throw new TreeAbortedException();
            }
            Attach(node);
            _stack.Push(new Frame(node) { });
            if (!anchor.IsEmpty)
            {
                _pendingAnchors[node] = anchor.Value;
            }
        }

        private readonly Dictionary<YNode, string> _pendingAnchors = new(ReferenceEqualityComparer.Instance);

        private void Close()
        {
            Frame frame = _stack.Pop();
            if (frame.Node is YMapping mapping)
            {
                FinishMapping(mapping, frame);
            }
            else if (frame.Node is YSequence sequence)
            {
                long size = 1;
                foreach (YNode item in sequence.Items)
                {
                    size = Add(size, item.ExpandedSize);
                }
                sequence.ExpandedSize = size;
            }
            CheckSize(frame.Node);
            if (_pendingAnchors.Remove(frame.Node, out string? name))
            {
                _anchors[name] = frame.Node;
            }
        }

        private void CheckSize(YNode node)
        {
            // Only what aliases add counts: a big file written out in full is not an alias bomb.
            if (node.ExpandedSize - _created > MaxExpandedNodes)
            {
                diagnostics.Error(node.Start, "", $"through aliases this value expands by more than {MaxExpandedNodes:N0} nodes (a 'billion laughs' pattern); Appliance refuses it. Use fewer nested aliases");
                throw new TreeAbortedException();
            }
        }

        private static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

        private void Attach(YNode node, SourceLocation? aliasAt = null)
        {
            if (aliasAt is null)
            {
                _created++;
            }
            if (_stack.Count == 0)
            {
                _root ??= node;
                return;
            }
            Frame top = _stack.Peek();
            if (top.Node is YSequence sequence)
            {
                sequence.Items.Add(node);
                return;
            }
            if (top.PendingKey is null && !top.KeyIsBad)
            {
                if (node is YScalar key)
                {
                    top.PendingKey = key;
                }
                else
                {
                    diagnostics.Error(aliasAt ?? node.Start, "", $"a key must be a text value, not {node.KindName}; remove the '?' or brackets before the key");
                    top.KeyIsBad = true;
                }
                return;
            }
            if (top.KeyIsBad)
            {
                top.KeyIsBad = false;
                return;
            }
            top.Raw.Add((top.PendingKey!, node));
            top.PendingKey = null;
        }

        private void FinishMapping(YMapping mapping, Frame frame)
        {
            var seen = new Dictionary<string, YScalar>(StringComparer.Ordinal);
            var entries = new List<KeyValuePair<YScalar, YNode>>(frame.Raw.Count);
            List<(YScalar Key, YNode Value)>? merges = null;
            long size = 1;
            foreach ((YScalar key, YNode value) in frame.Raw)
            {
                if (key.IsPlain && key.Value == "<<")
                {
                    (merges ??= []).Add((key, value));
                    continue;
                }
                if (seen.TryGetValue(key.Value, out YScalar? first))
                {
                    diagnostics.Error(key.Start, "", $"duplicate key '{key.Value}' (first written at line {first.Start.Line}); keep one of them");
                    continue;
                }
                seen.Add(key.Value, key);
                entries.Add(new(key, value));
                size = Add(size, Add(1, value.ExpandedSize));
            }
            if (merges is not null)
            {
                // Explicit keys win over merged ones; among merged mappings the first listed wins (YAML merge key spec).
                foreach ((YScalar key, YNode value) in merges)
                {
                    IEnumerable<YNode> sources = value is YSequence list ? list.Items : [value];
                    foreach (YNode source in sources)
                    {
                        if (source is not YMapping from)
                        {
                            diagnostics.Error(key.Start, "", $"'<<' merges mappings, but this is {source.KindName}; write '<<: *anchor' where the anchor is on a mapping");
                            continue;
                        }
                        foreach (KeyValuePair<YScalar, YNode> entry in from.Entries)
                        {
                            if (seen.TryAdd(entry.Key.Value, entry.Key))
                            {
                                entries.Add(entry);
                                size = Add(size, Add(1, entry.Value.ExpandedSize));
                            }
                        }
                    }
                }
            }
            mapping.Entries = entries;
            mapping.ExpandedSize = size;
        }
    }
}
