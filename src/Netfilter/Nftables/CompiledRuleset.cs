using System.Text.Json.Nodes;

namespace Appliance.Netfilter.Nftables;

/// <summary>
/// An intent compiled for Appliance's nftables table: a skeleton (sets, chains, rules) that only
/// changes with the table's shape, and the elements of its sets and maps, which carry everything
/// per stack and per port. Publishing a port therefore changes elements only.
/// </summary>
internal sealed class CompiledRuleset
{
    public CompiledRuleset(string table, IReadOnlyList<NftSetDefinition> sets, IReadOnlyList<JsonObject> chains,
        IReadOnlyList<JsonObject> rules, IReadOnlyDictionary<string, IReadOnlyList<NftElement>> elements)
    {
        Table = table;
        Sets = sets;
        Chains = chains;
        Rules = rules;
        Elements = elements;
        SkeletonText = string.Join("\n", sets.Select(s => NftJson.Canonical(s.ToJson(table)))
            .Concat(chains.Select(NftJson.Canonical)).Concat(rules.Select(NftJson.Canonical)));
    }

    public string Table { get; }

    public IReadOnlyList<NftSetDefinition> Sets { get; }

    /// <summary>{"chain": {...}} objects.</summary>
    public IReadOnlyList<JsonObject> Chains { get; }

    /// <summary>{"rule": {...}} objects, in order per chain.</summary>
    public IReadOnlyList<JsonObject> Rules { get; }

    /// <summary>Elements per set or map name (every set has an entry, possibly empty).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<NftElement>> Elements { get; }

    /// <summary>Everything but the elements, canonical: equal skeletons allow an element-only change.</summary>
    public string SkeletonText { get; }

    public int ElementCount => Elements.Values.Sum(e => e.Count);

    private JsonObject TableObject() => new() { ["table"] = new JsonObject { ["family"] = NftJson.Family, ["name"] = Table } };

    /// <summary>
    /// One transaction that replaces Appliance's table as a whole: add (so delete cannot fail),
    /// delete, then recreate with every set, chain, rule and element. Touches no other table.
    /// </summary>
    public JsonObject FullTransaction()
    {
        var commands = new JsonArray
        {
            Command("add", TableObject()),
            Command("delete", TableObject()),
            Command("add", TableObject()),
        };
        foreach (NftSetDefinition set in Sets)
        {
            commands.Add(Command("add", set.ToJson(Table)));
        }
        foreach (JsonObject chain in Chains)
        {
            commands.Add(Command("add", (JsonObject)chain.DeepClone()));
        }
        foreach (JsonObject rule in Rules)
        {
            commands.Add(Command("add", (JsonObject)rule.DeepClone()));
        }
        foreach ((string set, IReadOnlyList<NftElement> elements) in Elements)
        {
            if (elements.Count > 0)
            {
                commands.Add(ElementCommand("add", set, elements));
            }
        }
        return Wrap(commands);
    }

    /// <summary>Deletes Appliance's table (add first, so it works also when it is gone).</summary>
    public static JsonObject RemoveTransaction(string table)
    {
        var tableObject = new JsonObject { ["table"] = new JsonObject { ["family"] = NftJson.Family, ["name"] = table } };
        return Wrap(new JsonArray(Command("add", tableObject), Command("delete", (JsonObject)tableObject.DeepClone())));
    }

    /// <summary>
    /// The element changes that turn <paramref name="previous"/> into this ruleset, as one
    /// transaction; null when the skeletons differ (then only a full transaction will do).
    /// Empty command list when nothing changes.
    /// </summary>
    public JsonObject? ElementTransaction(CompiledRuleset previous)
    {
        if (previous.Table != Table || previous.SkeletonText != SkeletonText)
        {
            return null;
        }
        var deletes = new JsonArray();
        var adds = new JsonArray();
        foreach ((string set, IReadOnlyList<NftElement> elements) in Elements)
        {
            IReadOnlyList<NftElement> before = previous.Elements.TryGetValue(set, out var b) ? b : [];
            var now = elements.ToDictionary(e => e.KeyText);
            var was = before.ToDictionary(e => e.KeyText);
            List<NftElement> removed = before.Where(e => !now.TryGetValue(e.KeyText, out var n) || n.Text != e.Text).ToList();
            List<NftElement> added = elements.Where(e => !was.TryGetValue(e.KeyText, out var w) || w.Text != e.Text).ToList();
            if (removed.Count > 0)
            {
                deletes.Add(ElementCommand("delete", set, removed.Select(e => new NftElement(e.Key)).ToList()));
            }
            if (added.Count > 0)
            {
                adds.Add(ElementCommand("add", set, added));
            }
        }
        var commands = new JsonArray();
        foreach (JsonNode? d in deletes.ToList())
        {
            deletes.Remove(d);
            commands.Add(d);
        }
        foreach (JsonNode? a in adds.ToList())
        {
            adds.Remove(a);
            commands.Add(a);
        }
        return Wrap(commands);
    }

    /// <summary>One transaction deleting, then adding, the given elements, per set.</summary>
    public JsonObject ElementChange(IReadOnlyDictionary<string, List<NftElement>> removed, IReadOnlyDictionary<string, List<NftElement>> added)
    {
        var commands = new JsonArray();
        foreach ((string set, List<NftElement> list) in removed)
        {
            if (list.Count > 0)
            {
                commands.Add(ElementCommand("delete", set, list.Select(e => new NftElement(e.Key)).ToList()));
            }
        }
        foreach ((string set, List<NftElement> list) in added)
        {
            if (list.Count > 0)
            {
                commands.Add(ElementCommand("add", set, list));
            }
        }
        return Wrap(commands);
    }

    /// <summary>This ruleset with elements added and removed (the skeleton is shared).</summary>
    public CompiledRuleset WithElements(IReadOnlyDictionary<string, List<NftElement>> added, IReadOnlyDictionary<string, List<NftElement>> removed)
    {
        var elements = new Dictionary<string, IReadOnlyList<NftElement>>();
        foreach ((string set, IReadOnlyList<NftElement> list) in Elements)
        {
            IEnumerable<NftElement> result = list;
            if (removed.TryGetValue(set, out List<NftElement>? gone) && gone.Count > 0)
            {
                var keys = gone.Select(g => g.KeyText).ToHashSet(StringComparer.Ordinal);
                result = result.Where(e => !keys.Contains(e.KeyText));
            }
            if (added.TryGetValue(set, out List<NftElement>? more) && more.Count > 0)
            {
                result = result.Concat(more);
            }
            elements[set] = ReferenceEquals(result, list) ? list : result.ToList();
        }
        return new CompiledRuleset(this, elements);
    }

    private CompiledRuleset(CompiledRuleset skeleton, IReadOnlyDictionary<string, IReadOnlyList<NftElement>> elements)
    {
        Table = skeleton.Table;
        Sets = skeleton.Sets;
        Chains = skeleton.Chains;
        Rules = skeleton.Rules;
        SkeletonText = skeleton.SkeletonText;
        Elements = elements;
    }

    private JsonNode ElementCommand(string verb, string set, IReadOnlyList<NftElement> elements) =>
        Command(verb, new JsonObject
        {
            ["element"] = new JsonObject
            {
                ["family"] = NftJson.Family,
                ["table"] = Table,
                ["name"] = set,
                ["elem"] = new JsonArray(elements.Select(e => e.ToJson()).ToArray()),
            },
        });

    // JsonNode, not JsonObject: JsonArray.Add then binds to Add(JsonNode), not to the generic Add<T> that serializes T by reflection.
    private static JsonNode Command(string verb, JsonObject body) => new JsonObject { [verb] = body };

    private static JsonObject Wrap(JsonArray commands) => new() { ["nftables"] = commands };

    public static int CommandCount(JsonObject transaction) => transaction["nftables"]!.AsArray().Count;
}
