using System.Text.Json.Nodes;

namespace Appliance.Netfilter.Nftables;

/// <summary>A set or map of Appliance's table: its name, key type(s), data type for maps, flags.</summary>
internal sealed record NftSetDefinition(string Name, string[] KeyType, string[]? DataType = null, bool Interval = false)
{
    public bool IsMap => DataType is not null;

    public JsonObject ToJson(string table)
    {
        var body = new JsonObject
        {
            ["family"] = NftJson.Family,
            ["table"] = table,
            ["name"] = Name,
            ["type"] = KeyType.Length == 1 ? KeyType[0] : new JsonArray(KeyType.Select(t => (JsonNode)t!).ToArray()),
        };
        if (DataType is not null)
        {
            // Input wants the concatenated data type as an array; listings print it as "a . b".
            body["map"] = DataType.Length == 1 ? DataType[0] : new JsonArray(DataType.Select(t => (JsonNode)t!).ToArray());
        }
        if (Interval)
        {
            body["flags"] = new JsonArray("interval");
        }
        return new JsonObject { [IsMap ? "map" : "set"] = body };
    }
}
