using YamlDotNet.Core;

namespace Appliance.Orchestrator.Stacks.Yaml;

// A small positioned YAML tree: unlike YamlDotNet's deserializer it keeps the line and column of
// every node, and unlike its representation model it reports duplicate keys instead of throwing,
// resolves merge keys (`<<`) and bounds alias expansion. Aliases share the anchored node.

/// <summary>A node of the positioned YAML tree.</summary>
internal abstract class YNode
{
    protected YNode(SourceLocation start)
    {
        Start = start;
    }

    public SourceLocation Start { get; }

    /// <summary>How many nodes this one stands for once aliases and merges are expanded.</summary>
    public long ExpandedSize { get; set; } = 1;

    public abstract string KindName { get; }
}

/// <summary>A scalar: its text, and whether it was written plain (unquoted), which decides null and booleans.</summary>
internal sealed class YScalar : YNode
{
    public YScalar(SourceLocation start, string value, ScalarStyle style)
        : base(start)
    {
        Value = value;
        Style = style;
    }

    public string Value { get; }

    public ScalarStyle Style { get; }

    public bool IsPlain => Style is ScalarStyle.Plain or ScalarStyle.Any;

    /// <summary>YAML null: an empty plain scalar, <c>~</c> or <c>null</c>.</summary>
    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string KindName => IsNull ? "nothing (null)" : "a text value";
}

/// <summary>A sequence (<c>- a</c> or <c>[a, b]</c>).</summary>
internal sealed class YSequence : YNode
{
    public YSequence(SourceLocation start)
        : base(start)
    {
    }

    public List<YNode> Items { get; } = [];

    public override string KindName => "a list";
}

/// <summary>A mapping (<c>key: value</c>) with its entries in file order, duplicates and merge keys already resolved.</summary>
internal sealed class YMapping : YNode
{
    public YMapping(SourceLocation start)
        : base(start)
    {
    }

    public List<KeyValuePair<YScalar, YNode>> Entries { get; set; } = [];

    public override string KindName => "a mapping";

    public YNode? Get(string key)
    {
        foreach (KeyValuePair<YScalar, YNode> entry in Entries)
        {
            if (entry.Key.Value == key)
            {
                return entry.Value;
            }
        }
        return null;
    }
}
