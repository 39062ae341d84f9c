using System.Text.Json.Nodes;

namespace Appliance.Netfilter.Nftables;

/// <summary>
/// A comparable summary of Appliance's table — sets (name, type, flags), chains (hook, type,
/// priority, policy), rules (chain, position, comment, statements) and every element — built the
/// same way from the compiled ruleset and from a live JSON listing, so drift is found without
/// keeping a read-back copy (which would cost a listing after each element change).
/// </summary>
internal static class RulesetSignature
{
    public static FirewallDrift? Compare(CompiledRuleset expected, JsonArray? live)
    {
        if (live is null || !live.Any(o => o?["table"] is not null))
        {
            return new FirewallDrift(DateTimeOffset.UtcNow, true, ["table inet " + expected.Table], []);
        }
        List<string> want = Of(expected.Sets.Select(s => s.ToJson(expected.Table)).Concat(expected.Chains).Concat(expected.Rules), expected);
        List<string> have = Of(live.OfType<JsonObject>(), null);
        List<string> missing = Subtract(want, have);
        List<string> unexpected = Subtract(have, want);
        return missing.Count == 0 && unexpected.Count == 0 ? null : new FirewallDrift(DateTimeOffset.UtcNow, false, missing, unexpected);
    }

    private static List<string> Subtract(List<string> a, List<string> b)
    {
        var counts = b.GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
        var result = new List<string>();
        foreach (string x in a)
        {
            if (counts.TryGetValue(x, out int n) && n > 0)
            {
                counts[x] = n - 1;
            }
            else
            {
                result.Add(x);
            }
        }
        return result;
    }

    /// <summary>Signature lines of listing-shaped objects; elements come from <paramref name="compiled"/> when given.</summary>
    private static List<string> Of(IEnumerable<JsonObject> objects, CompiledRuleset? compiled)
    {
        var lines = new List<string>();
        var ruleIndex = new Dictionary<string, int>();
        foreach (JsonObject o in objects)
        {
            if (o["set"] is JsonObject set || o["map"] is JsonObject)
            {
                bool isMap = o["map"] is not null;
                JsonObject s = (JsonObject)(o["set"] ?? o["map"])!;
                string name = (string)s["name"]!;
                lines.Add($"{(isMap ? "map" : "set")} {name} type {NftJson.Canonical(s["type"])} {MapType(s["map"])} flags {NftJson.Canonical(s["flags"])}");
                if (compiled is null)
                {
                    foreach (JsonNode? e in s["elem"]?.AsArray() ?? [])
                    {
                        lines.Add($"element {name} {ElementText(e)}");
                    }
                }
                else
                {
                    lines.AddRange(compiled.Elements[name].Select(e => $"element {name} {e.Text}"));
                }
            }
            else if (o["chain"] is JsonObject c)
            {
                lines.Add($"chain {(string?)c["name"]} {(string?)c["type"]} {(string?)c["hook"]} {c["prio"]?.ToJsonString()} {(string?)c["policy"]}");
            }
            else if (o["rule"] is JsonObject r)
            {
                string chain = (string)r["chain"]!;
                int index = ruleIndex[chain] = ruleIndex.GetValueOrDefault(chain) + 1;
                JsonArray expr = r["expr"]!.AsArray();
                string statements = string.Join(",", expr.Select(x => x is JsonObject xo ? xo.First().Key : "?"));
                lines.Add($"rule {chain}#{index} {(string?)r["comment"]} [{statements}]");
            }
        }
        return lines;
    }

    private static string MapType(JsonNode? map) =>
        map is JsonArray a ? string.Join(" . ", a.Select(t => (string?)t)) : (string?)map ?? "";

    /// <summary>A listed element as the compiler writes it: map elements are [key, value].</summary>
    private static string ElementText(JsonNode? e) =>
        e is JsonArray { Count: 2 } pair ? NftJson.Canonical(pair[0]) + " : " + NftJson.Canonical(pair[1]) : NftJson.Canonical(e);
}
