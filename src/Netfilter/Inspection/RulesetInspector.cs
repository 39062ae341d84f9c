using System.Net;
using System.Text.Json.Nodes;
using Appliance.Netfilter.Intent;
using Appliance.Netfilter.Nftables;
using C = Appliance.Netfilter.Nftables.NftCompiler;

namespace Appliance.Netfilter.Inspection;

/// <summary>
/// Reads a live ruleset (libnftables JSON listing): finds other tables' base chains that would
/// drop Appliance's traffic, and explains a flow by evaluating Appliance's table (its sets and
/// maps as they are in the kernel) plus the policies and mark rules of every other base chain on
/// the same hook.
/// </summary>
internal static class RulesetInspector
{
    private sealed record Chain(string Family, string Table, string Name, string? Hook, string? Type, int Priority, string? Policy, List<JsonObject> Rules);

    private static List<Chain> Chains(JsonArray ruleset)
    {
        var chains = new Dictionary<(string, string, string), Chain>();
        foreach (JsonObject o in ruleset.OfType<JsonObject>())
        {
            if (o["chain"] is JsonObject c)
            {
                var key = ((string)c["family"]!, (string)c["table"]!, (string)c["name"]!);
                chains[key] = new Chain(key.Item1, key.Item2, key.Item3, (string?)c["hook"], (string?)c["type"],
                    c["prio"] is JsonValue p && p.TryGetValue(out int prio) ? prio : 0, (string?)c["policy"], new List<JsonObject>());
            }
            else if (o["rule"] is JsonObject r
                     && chains.TryGetValue(((string)r["family"]!, (string)r["table"]!, (string)r["chain"]!), out Chain? chain))
            {
                chain.Rules.Add(r);
            }
        }
        return chains.Values.ToList();
    }

    private static bool IsOwn(Chain c, string ownTable) => c.Family == NftJson.Family && c.Table == ownTable;

    private static bool Covers(Chain c, string hook) =>
        c.Hook == hook && c.Type == "filter" && c.Family is "inet" or "ip";

    private static string Verdict(JsonObject rule) =>
        rule["expr"]?.AsArray().OfType<JsonObject>().Select(e => e.First().Key).LastOrDefault(k => k is "accept" or "drop" or "reject" or "jump" or "goto" or "return") ?? "";

    private static bool MatchesMark(JsonObject rule) =>
        Verdict(rule) == "accept" && rule["expr"]!.ToJsonString().Contains("\"key\":\"mark\"", StringComparison.Ordinal);

    private static bool IsUnconditional(JsonObject rule) =>
        rule["expr"]!.AsArray().OfType<JsonObject>().All(e => e.First().Key is "counter" or "drop" or "reject" or "log" or "limit");

    /// <summary>What in another table drops the traffic Appliance allows (by hook), or null when nothing does.</summary>
    private static ForeignBlocker? Blocker(Chain c, PacketMark mark)
    {
        int markIndex = c.Rules.FindIndex(MatchesMark);
        int dropIndex = c.Rules.FindIndex(r => Verdict(r) is "drop" or "reject" && IsUnconditional(r));
        bool policyDrops = c.Policy == "drop";
        if (markIndex >= 0 && (dropIndex < 0 || markIndex < dropIndex))
        {
            return null;
        }
        if (!policyDrops && dropIndex < 0)
        {
            return null;
        }
        long? handle = dropIndex >= 0 && (markIndex < 0 || dropIndex < markIndex) ? (long?)c.Rules[dropIndex]["handle"] : null;
        string problem = handle is null
            ? $"its policy drops what no rule of its own accepts, and it has no rule accepting Appliance's mark {mark}"
            : "this rule drops everything before any rule accepts Appliance's mark";
        return new ForeignBlocker(c.Family, c.Table, c.Name, c.Hook!, c.Priority, handle, problem, Fix(c, mark));
    }

    private static string Fix(Chain c, PacketMark mark)
    {
        bool ufw = c.Rules.Any(r => r["expr"]!.ToJsonString().Contains("ufw-", StringComparison.Ordinal));
        bool iptables = c.Family is "ip" && c.Table is "filter" && c.Name is "INPUT" or "FORWARD";
        string m = $"0x{mark.Value:x}/0x{mark.Mask:x}";
        if (ufw)
        {
            string chain = c.Hook == "input" ? "ufw-before-input" : "ufw-before-forward";
            return $"add `-A {chain} -m mark --mark {m} -j ACCEPT` to /etc/ufw/before.rules (before COMMIT), then `ufw reload`";
        }
        if (iptables)
        {
            return $"`iptables -I {c.Name} -m mark --mark {m} -j ACCEPT` (and save it with your iptables-persistent setup)";
        }
        return $"`nft insert rule {c.Family} {c.Table} {c.Name} {mark.HostRule}` (and add it to the file that defines table {c.Family} {c.Table}, e.g. /etc/nftables.conf)";
    }

    public static IReadOnlyList<ForeignBlocker> FindBlockers(JsonArray ruleset, string ownTable, PacketMark mark) =>
        Chains(ruleset).Where(c => !IsOwn(c, ownTable) && (Covers(c, "input") || Covers(c, "forward")))
            .Select(c => Blocker(c, mark)).OfType<ForeignBlocker>().ToList();

    // ---- published ports ----

    /// <summary>Every published port in Appliance's table as loaded, with who may open it (read from its maps and sets).</summary>
    public static IReadOnlyList<LivePublishedPort> PublishedPorts(JsonArray ruleset, string ownTable)
    {
        Dictionary<string, List<Element>> sets = Sets(ruleset, ownTable);
        List<string> lan = [.. (sets.GetValueOrDefault(C.LanNets) ?? []).Select(e => Describe(e.Parts[0]))];
        var ports = new List<LivePublishedPort>();
        foreach ((string local, string external, bool withAddress) in new[] { (C.DnatLocalAny, C.DnatExternalAny, false), (C.DnatLocalAddr, C.DnatExternalAddr, true) })
        {
            List<Element> targetPorts = sets.GetValueOrDefault(local + C.PortSuffix) ?? [];
            foreach (Element e in sets.GetValueOrDefault(local + C.AddrSuffix) ?? [])
            {
                int o = withAddress ? 1 : 0;
                if (e.Value is not JsonValue target || targetPorts.FirstOrDefault(p => SameKey(p, e))?.Value is not JsonValue targetPort
                    || !e.Parts[o].AsValue().TryGetValue(out string? proto) || !e.Parts[o + 1].AsValue().TryGetValue(out int hostPort))
                {
                    continue;
                }
                IPAddress container = IPAddress.Parse((string)target!);
                int containerPort = (int)targetPort;
                TransportProtocol protocol = proto == "udp" ? TransportProtocol.Udp : TransportProtocol.Tcp;
                IPAddress? host = withAddress ? IPAddress.Parse((string)e.Parts[0]!) : null;
                bool outside = (sets.GetValueOrDefault(external + C.AddrSuffix) ?? []).Any(x => SameKey(x, e));
                (ExposureKind reach, IReadOnlyList<string> sources) = !outside ? (ExposureKind.HostOnly, [])
                    : Lookup(sets, C.PublishedInternet, container, proto, containerPort) is not null ? (ExposureKind.Internet, ["0.0.0.0/0"])
                    : Lookup(sets, C.PublishedLan, container, proto, containerPort) is not null ? (ExposureKind.Lan, lan)
                    : From(sets, container, proto, containerPort) is { Count: > 0 } from ? (ExposureKind.Sources, from)
                    : (ExposureKind.HostOnly, []);
                ports.Add(new LivePublishedPort(host, hostPort, protocol, container, containerPort, reach, sources));
            }
        }
        return ports;
    }

    private static bool SameKey(Element a, Element b) =>
        a.Parts.Length == b.Parts.Length && a.Parts.Zip(b.Parts).All(z => JsonNode.DeepEquals(z.First, z.Second));

    private static List<string> From(Dictionary<string, List<Element>> sets, IPAddress container, string proto, int port) =>
        [.. (sets.GetValueOrDefault(C.PublishedFrom) ?? [])
            .Where(e => e.Parts.Length == 4 && PartMatches(e.Parts[1], container) && PartMatches(e.Parts[2], proto) && PartMatches(e.Parts[3], port))
            .Select(e => Describe(e.Parts[0]))];

    // ---- explain ----

    private sealed record Element(JsonNode[] Parts, JsonNode? Value);

    private static Dictionary<string, List<Element>> Sets(JsonArray ruleset, string ownTable)
    {
        var sets = new Dictionary<string, List<Element>>();
        foreach (JsonObject o in ruleset.OfType<JsonObject>())
        {
            if ((o["set"] ?? o["map"]) is JsonObject s && (string?)s["table"] == ownTable && (string?)s["family"] == NftJson.Family)
            {
                var list = new List<Element>();
                foreach (JsonNode? e in s["elem"]?.AsArray() ?? [])
                {
                    (JsonNode key, JsonNode? value) = e is JsonArray { Count: 2 } pair && o["map"] is not null ? (pair[0]!, pair[1]) : (e!, null);
                    JsonNode[] parts = key is JsonObject k && k["concat"] is JsonArray cat ? cat.Select(x => x!).ToArray() : [key];
                    list.Add(new Element(parts, value));
                }
                sets[(string)s["name"]!] = list;
            }
        }
        return sets;
    }

    private static bool PartMatches(JsonNode part, object value) => value switch
    {
        IPAddress ip => part is JsonObject p && p["prefix"] is JsonObject pre
            ? new IPNetwork(IPAddress.Parse((string)pre["addr"]!), (int)pre["len"]!).Contains(ip)
            : part is JsonObject r && r["range"] is JsonArray range
                ? Compare(IPAddress.Parse((string)range[0]!), ip) <= 0 && Compare(ip, IPAddress.Parse((string)range[1]!)) <= 0
                : part is JsonValue v && v.TryGetValue(out string? s) && IPAddress.TryParse(s, out IPAddress? a) && a.Equals(ip),
        int port => part is JsonValue pv && pv.TryGetValue(out int p2) && p2 == port,
        string text => part is JsonValue tv && tv.TryGetValue(out string? t) && t == text,
        _ => false,
    };

    private static int Compare(IPAddress a, IPAddress b)
    {
        byte[] x = a.GetAddressBytes(), y = b.GetAddressBytes();
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] != y[i])
            {
                return x[i].CompareTo(y[i]);
            }
        }
        return 0;
    }

    private static Element? Lookup(Dictionary<string, List<Element>> sets, string name, params object[] key) =>
        sets.GetValueOrDefault(name)?.FirstOrDefault(e => e.Parts.Length == key.Length && e.Parts.Zip(key).All(z => PartMatches(z.First, z.Second)));

    public static FlowExplanation Explain(JsonArray ruleset, string ownTable, PacketMark mark, FlowQuery flow)
    {
        List<Chain> chains = Chains(ruleset);
        Chain? own(string name) => chains.FirstOrDefault(c => IsOwn(c, ownTable) && c.Name == name);
        long? handle(string chain, string comment) =>
            (long?)own(chain)?.Rules.FirstOrDefault(r => (string?)r["comment"] == comment)?["handle"];
        string table = $"inet {ownTable}";
        if (own(C.ChainInput) is null && own(C.ChainForward) is null)
        {
            return Foreign(chains, ownTable, mark, flow, "forward",
                new FlowExplanation(flow, true, table, "-", null, $"Appliance's table inet {ownTable} is not loaded: Appliance allows nothing and drops nothing"));
        }
        Dictionary<string, List<Element>> sets = Sets(ruleset, ownTable);
        string proto = flow.Protocol == TransportProtocol.Tcp ? "tcp" : "udp";
        var notes = new List<string>();
        FlowExplanation Stacks(bool passes, string comment, string words) =>
            new(flow, passes, table, C.ChainStacks, handle(C.ChainStacks, comment), words) { Notes = notes };

        // Forward, directly to a container address.
        if (Lookup(sets, C.StackNets, flow.To) is not null)
        {
            if (Lookup(sets, C.StackNets, flow.From) is Element fromNet && Lookup(sets, C.StackNets, flow.To) == fromNet)
            {
                return Foreign(chains, ownTable, mark, flow, "forward", Stacks(true, C.Comments.IntraStack,
                    "containers of one stack reach each other (also when br_netfilter sends bridged frames through the firewall)"));
            }
            return Foreign(chains, ownTable, mark, flow, "forward", Stacks(false, C.Comments.StackDrop,
                $"{flow.To} is a container address; containers are reached only through their published ports, never directly, and other stacks are isolated"));
        }

        // Published port (DNAT in prerouting), by host address first, then any host address.
        Element? addr = Lookup(sets, C.DnatExternalAddr + C.AddrSuffix, flow.To, proto, flow.Port)
                        ?? Lookup(sets, C.DnatExternalAny + C.AddrSuffix, proto, flow.Port);
        Element? port = Lookup(sets, C.DnatExternalAddr + C.PortSuffix, flow.To, proto, flow.Port)
                        ?? Lookup(sets, C.DnatExternalAny + C.PortSuffix, proto, flow.Port);
        if (addr?.Value is JsonValue av && port?.Value is JsonValue pv)
        {
            IPAddress target = IPAddress.Parse((string)av!);
            int targetPort = (int)pv;
            notes.Add($"{flow.Port}/{proto} is published: DNAT to container {target}:{targetPort} (chain {C.ChainNatPre})");
            if (Lookup(sets, C.StackNets, flow.From) is Element f && Lookup(sets, C.StackNets, target) == f)
            {
                return Foreign(chains, ownTable, mark, flow, "forward", Stacks(true, C.Comments.IntraStack,
                    "a container reaching a published port of its own stack through the host (hairpin, masqueraded)"));
            }
            if (Lookup(sets, C.PublishedInternet, target, proto, targetPort) is not null)
            {
                return Foreign(chains, ownTable, mark, flow, "forward", Stacks(true, C.Comments.PublishedInternet,
                    $"published port {flow.Port}/{proto} is open to everyone (internet)"));
            }
            if (Lookup(sets, C.PublishedLan, target, proto, targetPort) is not null && Lookup(sets, C.LanNets, flow.From) is Element lan)
            {
                return Foreign(chains, ownTable, mark, flow, "forward", Stacks(true, C.Comments.PublishedLan,
                    $"published port {flow.Port}/{proto} is open to the LAN ({Describe(lan.Parts[0])}), which includes {flow.From}"));
            }
            if (Lookup(sets, C.PublishedFrom, flow.From, target, proto, targetPort) is Element allowed)
            {
                return Foreign(chains, ownTable, mark, flow, "forward", Stacks(true, C.Comments.Published,
                    $"published port {flow.Port}/{proto} is open to {Describe(allowed.Parts[0])}, which includes {flow.From}"));
            }
            return Foreign(chains, ownTable, mark, flow, "forward", Stacks(false, C.Comments.StackDrop,
                $"published port {flow.Port}/{proto} is not exposed to {flow.From} (its exposure does not include this source)"));
        }
        if (Lookup(sets, C.DnatLocalAddr + C.AddrSuffix, flow.To, proto, flow.Port) is not null
            || Lookup(sets, C.DnatLocalAny + C.AddrSuffix, proto, flow.Port) is not null)
        {
            notes.Add($"{flow.Port}/{proto} is published host-only: only the box itself may connect");
        }

        // The host itself.
        if (Lookup(sets, C.HostServices, flow.From, proto, flow.Port) is Element service)
        {
            return Foreign(chains, ownTable, mark, flow, "input", new FlowExplanation(flow, true, table, C.ChainInput,
                handle(C.ChainInput, C.Comments.HostService), $"host service on {flow.Port}/{proto} is allowed from {Describe(service.Parts[0])}") { Notes = notes });
        }
        Chain? input = own(C.ChainInput);
        if (input?.Policy == "drop")
        {
            return new FlowExplanation(flow, false, table, C.ChainInput, null,
                $"nothing on the box is allowed on {flow.Port}/{proto} from {flow.From}: no host service, no published port for this source; Appliance keeps the host deny-by-default") { Notes = notes };
        }
        return Foreign(chains, ownTable, mark, flow, "input", new FlowExplanation(flow, true, table, C.ChainInput, null,
            "Appliance leaves input it does not govern to the host's firewall") { Notes = notes });
    }

    private static string Describe(JsonNode part) =>
        part is JsonObject p && p["prefix"] is JsonObject pre
            ? ((int)pre["len"]! == 0 ? "everyone (internet)" : $"{(string?)pre["addr"]}/{(int)pre["len"]!}")
            : part.ToString();

    /// <summary>An accept of Appliance's is not final: any other base chain on the hook may still drop.</summary>
    private static FlowExplanation Foreign(List<Chain> chains, string ownTable, PacketMark mark, FlowQuery flow, string hook, FlowExplanation own)
    {
        if (!own.Passes)
        {
            return own;
        }
        var notes = own.Notes.ToList();
        foreach (Chain c in chains.Where(c => !IsOwn(c, ownTable) && Covers(c, hook)).OrderBy(c => c.Priority))
        {
            if (Blocker(c, mark) is ForeignBlocker blocker)
            {
                return new FlowExplanation(flow, false, $"{c.Family} {c.Table}", c.Name, blocker.Handle,
                    $"Appliance accepts it ({own.Decision}), but another firewall drops it: {blocker.Problem}. Fix: {blocker.Fix}") { Notes = notes };
            }
            notes.Add($"table {c.Family} {c.Table} chain {c.Name} (hook {hook}) accepts it by Appliance's mark {mark}");
        }
        return own with { Notes = notes };
    }
}
