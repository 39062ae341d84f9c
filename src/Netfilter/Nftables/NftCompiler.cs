using System.Net;
using System.Text.Json.Nodes;
using Appliance.Netfilter.Intent;
using static Appliance.Netfilter.Nftables.NftJson;

namespace Appliance.Netfilter.Nftables;

/// <summary>
/// Compiles a <see cref="FirewallIntent"/> into Appliance's nftables table (family inet). A pure
/// function. The chains are fixed; everything per stack and per port lives in sets and maps:
/// <list type="bullet">
/// <item><c>bridges</c>, <c>intra</c> (bridge . bridge), <c>egress</c>, <c>egress_nets</c>: the stack networks.</item>
/// <item><c>dnat_external_any_*</c> (proto . port) / <c>dnat_external_ip_*</c> (host ip . proto . port): DNAT in
/// prerouting (LAN/internet/CIDR exposures); <c>_addr</c> maps to the container address, <c>_port</c> to its port.</item>
/// <item><c>dnat_local_any_*</c> / <c>dnat_local_ip_*</c>: DNAT in output (every port, for the host itself).</item>
/// <item><c>published_from</c>: source . container ip . proto . container port allowed to pass forward.</item>
/// <item><c>host_services</c>: source . proto . port allowed to reach the host itself.</item>
/// </list>
/// Every accept in Appliance's filter chains also sets the handshake mark.
/// </summary>
internal static class NftCompiler
{
    public const int FilterPriority = -5;
    public const int DstNatPriority = -105;
    public const int SrcNatPriority = 95;
    public const int RawPriority = -305;

    public const string Bridges = "bridges";
    public const string Intra = "intra";
    public const string Egress = "egress";
    public const string EgressNets = "egress_nets";
    public const string StackNets = "stack_nets";
    public const string DnatExternalAny = "dnat_external_any";
    public const string DnatExternalAddr = "dnat_external_ip";
    public const string DnatLocalAny = "dnat_local_any";
    public const string DnatLocalAddr = "dnat_local_ip";
    public const string PublishedFrom = "published_from";
    public const string PublishedLan = "published_lan";
    public const string PublishedInternet = "published_internet";
    public const string LanNets = "lan_nets";
    public const string HostServices = "host_services";

    public const string ChainRaw = "raw_prerouting";
    public const string ChainNatPre = "nat_prerouting";
    public const string ChainNatOut = "nat_output";
    public const string ChainNatPost = "nat_postrouting";
    public const string ChainInput = "input";
    public const string ChainForward = "forward";
    public const string ChainStacks = "stacks";

    /// <summary>Rule comments: Explain names the rule that decided by them.</summary>
    public static class Comments
    {
        public const string Loopback = "appliance: the host's own loopback";
        public const string Invalid = "appliance: drop invalid packets";
        public const string Established = "appliance: replies of allowed connections";
        public const string HostService = "appliance: host services from their allowed sources";
        public const string Icmpv6 = "appliance: IPv6 neighbour discovery";
        public const string Dhcp = "appliance: DHCP client replies";
        public const string IntraStack = "appliance: containers of one stack reach each other";
        public const string Published = "appliance: published ports from their allowed source CIDRs";
        public const string PublishedLan = "appliance: published ports exposed to the LAN";
        public const string PublishedInternet = "appliance: published ports exposed to the internet";
        public const string EgressRule = "appliance: containers reach beyond the box (egress)";
        public const string StackDrop = "appliance: deny what no stack rule allows (direct access, other stacks, unpublished ports)";
        public const string LoopbackGuard = "appliance: packets to 127/8 from other interfaces";
    }

    private static readonly NftSetDefinition[] SetDefinitions =
    [
        new(Bridges, ["ifname"]),
        new(Intra, ["ifname", "ifname"]),
        new(Egress, ["ifname"]),
        new(EgressNets, ["ipv4_addr"], Interval: true),
        new(StackNets, ["ipv4_addr"], Interval: true),
        // libnftables 1.0.6 crashes on JSON rules that look up a named map with concatenated data
        // (ipv4_addr . inet_service), so each DNAT map is a pair: target address, target port.
        .. DnatMapPair(DnatExternalAny, ["inet_proto", "inet_service"]),
        .. DnatMapPair(DnatExternalAddr, ["ipv4_addr", "inet_proto", "inet_service"]),
        .. DnatMapPair(DnatLocalAny, ["inet_proto", "inet_service"]),
        .. DnatMapPair(DnatLocalAddr, ["ipv4_addr", "inet_proto", "inet_service"]),
        // Who may reach a published target (container ip . proto . port), per exposure. LAN and
        // internet are plain hash sets, so publishing such a port never touches an interval set
        // (libnftables reads an interval set's elements back on every change to it).
        new(PublishedInternet, ["ipv4_addr", "inet_proto", "inet_service"]),
        new(PublishedLan, ["ipv4_addr", "inet_proto", "inet_service"]),
        new(LanNets, ["ipv4_addr"], Interval: true),
        new(PublishedFrom, ["ipv4_addr", "ipv4_addr", "inet_proto", "inet_service"], Interval: true),
        new(HostServices, ["ipv4_addr", "inet_proto", "inet_service"], Interval: true),
    ];

    private static NftSetDefinition[] DnatMapPair(string name, string[] key) =>
        [new(name + AddrSuffix, key, ["ipv4_addr"]), new(name + PortSuffix, key, ["inet_service"])];

    /// <summary>The DNAT maps of one kind: <c>NAME_addr</c> gives the container address, <c>NAME_port</c> its port.</summary>
    public const string AddrSuffix = "_addr";
    public const string PortSuffix = "_port";

    public static CompiledRuleset Compile(FirewallIntent intent)
    {
        FirewallIntentValidator.ThrowIfInvalid(intent);
        string table = intent.TableName;
        var chains = new List<JsonObject>
        {
            BaseChain(table, ChainRaw, "filter", "prerouting", RawPriority, "accept"),
            BaseChain(table, ChainNatPre, "nat", "prerouting", DstNatPriority, "accept"),
            BaseChain(table, ChainNatOut, "nat", "output", DstNatPriority, "accept"),
            BaseChain(table, ChainNatPost, "nat", "postrouting", SrcNatPriority, "accept"),
            BaseChain(table, ChainInput, "filter", "input", FilterPriority, intent.DropUnmatchedInput ? "drop" : "accept"),
            BaseChain(table, ChainForward, "filter", "forward", FilterPriority, "accept"),
            RegularChain(table, ChainStacks),
        };
        JsonObject mark = SetMark(intent.Mark);
        JsonObject Accept() => Verdict("accept");
        JsonNode Daddr() => Payload("ip", "daddr");
        JsonNode Saddr() => Payload("ip", "saddr");
        JsonNode L4() => Meta("l4proto");
        JsonNode Dport() => Payload("th", "dport");
        JsonObject Mark() => (JsonObject)mark.DeepClone();
        var rules = new List<JsonObject>
        {
            // raw: with route_localnet on a bridge, remote packets to 127/8 must not get in.
            Rule(table, ChainRaw, Comments.LoopbackGuard,
                Match("!=", Meta("iifname"), "lo"), Eq(Daddr(), Prefix("127.0.0.0", 8)), Verdict("drop")),
            // nat prerouting/output: published ports, by (host address .) proto . port.
            Rule(table, ChainNatPre, null, FibDaddrLocal(), DnatMap(Concat(Daddr(), L4(), Dport()), DnatExternalAddr)),
            Rule(table, ChainNatPre, null, FibDaddrLocal(), DnatMap(Concat(L4(), Dport()), DnatExternalAny)),
            Rule(table, ChainNatOut, null, FibDaddrLocal(), DnatMap(Concat(Daddr(), L4(), Dport()), DnatLocalAddr)),
            Rule(table, ChainNatOut, null, FibDaddrLocal(), DnatMap(Concat(L4(), Dport()), DnatLocalAny)),
            // nat postrouting: ports published on 127.0.0.1, hairpin, egress.
            Rule(table, ChainNatPost, null, Eq(Meta("oifname"), "@" + Bridges), Eq(Saddr(), Prefix("127.0.0.0", 8)), Masquerade()),
            // Hairpin: a container to a published port of its stack through a host address. (Matched by
            // source subnet: with br_netfilter the input interface is not reliable in postrouting.)
            Rule(table, ChainNatPost, null, Eq(Meta("oifname"), "@" + Bridges), In(Ct("status"), "dnat"),
                Eq(Saddr(), "@" + StackNets), Masquerade()),
            Rule(table, ChainNatPost, null, Eq(Saddr(), "@" + EgressNets), Match("!=", Meta("oifname"), "@" + Bridges), Masquerade()),
            // input: the host itself.
            Rule(table, ChainInput, Comments.Loopback, Eq(Meta("iif"), "lo"), Mark(), Accept()),
            Rule(table, ChainInput, Comments.Invalid, In(Ct("state"), "invalid"), Verdict("drop")),
            Rule(table, ChainInput, Comments.Established, In(Ct("state"), new JsonArray("established", "related")), Mark(), Accept()),
            Rule(table, ChainInput, Comments.HostService, Eq(Concat(Saddr(), L4(), Dport()), "@" + HostServices), Mark(), Accept()),
            Rule(table, ChainInput, Comments.Icmpv6, Eq(Payload("icmpv6", "type"),
                new JsonObject { ["set"] = new JsonArray("nd-router-advert", "nd-neighbor-solicit", "nd-neighbor-advert") }), Mark(), Accept()),
            Rule(table, ChainInput, Comments.Dhcp, Eq(Payload("udp", "sport"), 67), Eq(Payload("udp", "dport"), 68), Mark(), Accept()),
            // forward: whatever touches a stack bridge is Appliance's to decide; the rest is left alone.
            Rule(table, ChainForward, null, Eq(Meta("iifname"), "@" + Bridges), Jump(ChainStacks)),
            Rule(table, ChainForward, null, Eq(Meta("oifname"), "@" + Bridges), Jump(ChainStacks)),
            Rule(table, ChainStacks, Comments.Invalid, In(Ct("state"), "invalid"), Verdict("drop")),
            Rule(table, ChainStacks, Comments.Established, In(Ct("state"), new JsonArray("established", "related")), Mark(), Accept()),
            Rule(table, ChainStacks, Comments.IntraStack, Eq(Concat(Meta("iifname"), Meta("oifname")), "@" + Intra), Mark(), Accept()),
            Rule(table, ChainStacks, Comments.PublishedInternet, In(Ct("status"), "dnat"),
                Eq(Concat(Daddr(), L4(), Dport()), "@" + PublishedInternet), Mark(), Accept()),
            Rule(table, ChainStacks, Comments.PublishedLan, In(Ct("status"), "dnat"), Eq(Saddr(), "@" + LanNets),
                Eq(Concat(Daddr(), L4(), Dport()), "@" + PublishedLan), Mark(), Accept()),
            Rule(table, ChainStacks, Comments.Published, In(Ct("status"), "dnat"),
                Eq(Concat(Saddr(), Daddr(), L4(), Dport()), "@" + PublishedFrom), Mark(), Accept()),
            Rule(table, ChainStacks, Comments.EgressRule, Eq(Meta("iifname"), "@" + Egress),
                Match("!=", Meta("oifname"), "@" + Bridges), Mark(), Accept()),
            Rule(table, ChainStacks, Comments.StackDrop, Counter(), Verdict("drop")),
        };
        return new CompiledRuleset(table, SetDefinitions, chains, rules, CompileElements(intent));
    }

    private static Dictionary<string, IReadOnlyList<NftElement>> CompileElements(FirewallIntent intent)
    {
        var elements = SetDefinitions.ToDictionary(s => s.Name, _ => new List<NftElement>());
        var seen = SetDefinitions.ToDictionary(s => s.Name, _ => new HashSet<string>(StringComparer.Ordinal));
        void Add(string set, NftElement e)
        {
            if (seen[set].Add(e.Text))
            {
                elements[set].Add(e);
            }
        }
        foreach (HostService service in intent.HostServices)
        {
            foreach (IPNetwork source in Minimal(service.AllowedFrom.ResolveSources(intent.LanSubnets)))
            {
                Add(HostServices, new NftElement(Concat(Network(source), Protocol(service.Protocol), service.Port)));
            }
        }
        foreach (StackNetwork stack in intent.Stacks)
        {
            Add(Bridges, new NftElement(stack.Bridge));
            Add(Intra, new NftElement(Concat(stack.Bridge, stack.Bridge)));
            Add(StackNets, new NftElement(Network(stack.Subnet)));
            if (stack.EgressAllowed)
            {
                Add(Egress, new NftElement(stack.Bridge));
                Add(EgressNets, new NftElement(Network(stack.Subnet)));
            }
            foreach (PublishedPort port in stack.PublishedPorts)
            {
                AddDnatElements(port, Add);
            }
        }
        foreach (IPNetwork lan in Minimal(intent.LanSubnets))
        {
            Add(LanNets, new NftElement(Network(lan)));
        }
        foreach ((string set, NftElement e) in AccessElements(intent.Stacks.SelectMany(s => s.PublishedPorts)))
        {
            Add(set, e);
        }
        return elements.ToDictionary(e => e.Key, e => (IReadOnlyList<NftElement>)e.Value);
    }

    /// <summary>The DNAT map elements of one published port (its host port is unique), for element-only changes.</summary>
    public static Dictionary<string, List<NftElement>> DnatElements(PublishedPort port)
    {
        var elements = new Dictionary<string, List<NftElement>>();
        AddDnatElements(port, (set, e) =>
        {
            if (!elements.TryGetValue(set, out List<NftElement>? list))
            {
                elements[set] = list = new List<NftElement>();
            }
            if (!list.Any(x => x.Text == e.Text))
            {
                list.Add(e);
            }
        });
        return elements;
    }

    /// <summary>
    /// Who may reach the targets of some ports: per target (container ip . proto . port), an
    /// element of <c>published_internet</c> if any port to it is exposed to the internet, else of
    /// <c>published_lan</c> for the LAN, and <c>published_from</c> elements (source . target) for
    /// explicit CIDRs, without nested CIDRs — the kernel refuses an interval element inside one
    /// already there (EEXIST), and several host ports may share one target.
    /// </summary>
    public static IEnumerable<(string Set, NftElement Element)> AccessElements(IEnumerable<PublishedPort> ports)
    {
        foreach (var target in ports.Where(IsExternal).GroupBy(p => (p.ContainerAddress, p.Protocol, p.ContainerPort)))
        {
            (IPAddress address, TransportProtocol protocol, int port) = target.Key;
            if (target.Any(p => p.Exposure.Kind == ExposureKind.Internet))
            {
                yield return (PublishedInternet, new NftElement(Concat(Address(address), Protocol(protocol), port)));
                continue;
            }
            if (target.Any(p => p.Exposure.Kind == ExposureKind.Lan))
            {
                yield return (PublishedLan, new NftElement(Concat(Address(address), Protocol(protocol), port)));
            }
            List<IPNetwork> sources = target.Where(p => p.Exposure.Kind == ExposureKind.Sources).SelectMany(p => p.Exposure.Sources).ToList();
            foreach (IPNetwork source in Minimal(sources))
            {
                yield return (PublishedFrom, new NftElement(Concat(Network(source), Address(address), Protocol(protocol), port)));
            }
        }
    }

    /// <summary>Reached from beyond the host (not host-only, not published on loopback).</summary>
    public static bool IsExternal(PublishedPort port) => !port.IsLoopbackOnly && port.Exposure.Kind != ExposureKind.HostOnly;

    private static void AddDnatElements(PublishedPort port, Action<string, NftElement> Add)
    {
        string proto = Protocol(port.Protocol);
        void AddDnat(string map, JsonNode key)
        {
            Add(map + AddrSuffix, new NftElement(key, Address(port.ContainerAddress)));
            Add(map + PortSuffix, new NftElement(key.DeepClone(), port.ContainerPort));
        }
        bool external = IsExternal(port);
        if (port.HostAddress is null)
        {
            AddDnat(DnatLocalAny, Concat(proto, port.HostPort));
            if (external)
            {
                AddDnat(DnatExternalAny, Concat(proto, port.HostPort));
            }
        }
        else
        {
            AddDnat(DnatLocalAddr, Concat(Address(port.HostAddress), proto, port.HostPort));
            if (external)
            {
                AddDnat(DnatExternalAddr, Concat(Address(port.HostAddress), proto, port.HostPort));
            }
        }
    }

    /// <summary>The networks without those another one of the list already contains.</summary>
    private static IEnumerable<IPNetwork> Minimal(IReadOnlyList<IPNetwork> networks) =>
        networks.Distinct().Where(n => !networks.Any(o => !o.Equals(n) && o.PrefixLength < n.PrefixLength && o.Contains(n.BaseAddress)));

    private static JsonObject BaseChain(string table, string name, string type, string hook, int priority, string policy) => new()
    {
        ["chain"] = new JsonObject
        {
            ["family"] = Family,
            ["table"] = table,
            ["name"] = name,
            ["type"] = type,
            ["hook"] = hook,
            ["prio"] = priority,
            ["policy"] = policy,
        },
    };

    private static JsonObject RegularChain(string table, string name) =>
        new() { ["chain"] = new JsonObject { ["family"] = Family, ["table"] = table, ["name"] = name } };

    private static JsonObject Rule(string table, string chain, string? comment, params JsonObject[] expressions)
    {
        var rule = new JsonObject
        {
            ["family"] = Family,
            ["table"] = table,
            ["chain"] = chain,
            ["expr"] = new JsonArray(expressions),
        };
        if (comment is not null)
        {
            rule["comment"] = comment;
        }
        return new JsonObject { ["rule"] = rule };
    }
}
