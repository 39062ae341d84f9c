using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Netfilter.Intent;

namespace Appliance.Netfilter.Nftables;

/// <summary>Builders for libnftables JSON (libnftables-json(5)) expressions and statements.</summary>
internal static class NftJson
{
    public const string Family = "inet";

    public static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    public static JsonObject Meta(string key) => new() { ["meta"] = new JsonObject { ["key"] = key } };

    public static JsonObject Payload(string protocol, string field) =>
        new() { ["payload"] = new JsonObject { ["protocol"] = protocol, ["field"] = field } };

    public static JsonObject Ct(string key) => new() { ["ct"] = new JsonObject { ["key"] = key } };

    public static JsonObject Concat(params JsonNode[] parts) => new() { ["concat"] = new JsonArray(parts) };

    public static JsonObject Match(string op, JsonNode left, JsonNode right) =>
        new() { ["match"] = new JsonObject { ["op"] = op, ["left"] = left, ["right"] = right } };

    public static JsonObject Eq(JsonNode left, JsonNode right) => Match("==", left, right);

    public static JsonObject In(JsonNode left, JsonNode right) => Match("in", left, right);

    public static JsonObject Verdict(string verdict) => new() { [verdict] = null };

    public static JsonObject Jump(string chain) => new() { ["jump"] = new JsonObject { ["target"] = chain } };

    public static JsonObject Masquerade() => new() { ["masquerade"] = null };

    public static JsonObject Counter() => new() { ["counter"] = null };

    public static JsonObject FibDaddrLocal() =>
        Eq(new JsonObject { ["fib"] = new JsonObject { ["result"] = "type", ["flags"] = new JsonArray("daddr") } }, "local");

    /// <summary><c>meta mark set meta mark &amp; ~Mask | Value</c> (plain <c>| Value</c> when Value == Mask).</summary>
    public static JsonObject SetMark(PacketMark mark)
    {
        JsonNode kept = mark.Value == mark.Mask
            ? Meta("mark")
            : new JsonObject { ["&"] = new JsonArray(Meta("mark"), ~mark.Mask) };
        return new JsonObject
        {
            ["mangle"] = new JsonObject { ["key"] = Meta("mark"), ["value"] = new JsonObject { ["|"] = new JsonArray(kept, mark.Value) } },
        };
    }

    /// <summary><c>dnat ip to KEY map @MAP_addr : KEY map @MAP_port</c>.</summary>
    public static JsonObject DnatMap(JsonNode key, string map) => new()
    {
        ["dnat"] = new JsonObject
        {
            ["family"] = "ip",
            ["addr"] = new JsonObject { ["map"] = new JsonObject { ["key"] = key, ["data"] = "@" + map + "_addr" } },
            ["port"] = new JsonObject { ["map"] = new JsonObject { ["key"] = key.DeepClone(), ["data"] = "@" + map + "_port" } },
        },
    };

    /// <summary>A network as an interval element: a plain address for /32, a prefix otherwise (as nft lists it).</summary>
    public static JsonNode Network(IPNetwork network) =>
        network.PrefixLength == 32
            ? network.BaseAddress.ToString()
            : new JsonObject { ["prefix"] = new JsonObject { ["addr"] = network.BaseAddress.ToString(), ["len"] = network.PrefixLength } };

    public static JsonNode Prefix(string address, int length) =>
        new JsonObject { ["prefix"] = new JsonObject { ["addr"] = address, ["len"] = length } };

    public static string Protocol(TransportProtocol protocol) => protocol == TransportProtocol.Tcp ? "tcp" : "udp";

    public static string Address(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork ? address.ToString() : throw new ArgumentException($"'{address}' is not an IPv4 address");

    /// <summary>A canonical one-line text of a node, for comparing and diffing elements.</summary>
    public static string Canonical(JsonNode? node) => node?.ToJsonString(Compact) ?? "null";
}
