using System.Net;
using System.Text.Json.Nodes;
using Appliance.Netfilter.Errors;
using Appliance.Netfilter.Intent;
using Appliance.Netfilter.Nftables;

namespace Appliance.Netfilter.Tests.Nftables;

public sealed class NftCompilerTests
{
    internal static FirewallIntent Sample() => new()
    {
        LanSubnets = [IPNetwork.Parse("192.168.50.0/24")],
        HostServices =
        [
            new HostService { Name = HostService.AdminUiName, Port = 8443, AllowedFrom = Exposure.Lan },
            new HostService { Name = HostService.SshName, Port = 22, AllowedFrom = Exposure.FromSources(IPNetwork.Parse("192.168.50.10/32")) },
        ],
        Stacks =
        [
            new StackNetwork
            {
                Name = "gitlab",
                Bridge = "ap-gitlab",
                Subnet = IPNetwork.Parse("10.88.1.0/24"),
                PublishedPorts =
                [
                    Port(10080, "10.88.1.3", 80, Exposure.Internet),
                    Port(10022, "10.88.1.3", 22, Exposure.Lan),
                    Port(15432, "10.88.1.2", 5432, Exposure.HostOnly),
                    Port(10053, "10.88.1.4", 53, Exposure.FromSources(IPNetwork.Parse("10.1.0.0/16")), TransportProtocol.Udp),
                ],
            },
            new StackNetwork { Name = "offline", Bridge = "ap-offline", Subnet = IPNetwork.Parse("10.88.2.0/24"), EgressAllowed = false },
        ],
    };

    internal static PublishedPort Port(int hostPort, string container, int containerPort, Exposure exposure,
        TransportProtocol protocol = TransportProtocol.Tcp, string? hostAddress = null) => new()
    {
        HostPort = hostPort,
        ContainerAddress = IPAddress.Parse(container),
        ContainerPort = containerPort,
        Exposure = exposure,
        Protocol = protocol,
        HostAddress = hostAddress is null ? null : IPAddress.Parse(hostAddress),
    };

    private static List<string> Elements(CompiledRuleset r, string set) => r.Elements[set].Select(e => e.Text).ToList();

    [Fact]
    public void Compile_BaseChains_RunJustAheadOfTheHost()
    {
        CompiledRuleset compiled = NftCompiler.Compile(Sample());

        JsonObject input = compiled.Chains.Select(c => c["chain"]!.AsObject()).Single(c => (string?)c["name"] == NftCompiler.ChainInput);
        JsonObject forward = compiled.Chains.Select(c => c["chain"]!.AsObject()).Single(c => (string?)c["name"] == NftCompiler.ChainForward);
        Assert.Equal(-5, (int)input["prio"]!);
        Assert.Equal("drop", (string?)input["policy"]);
        Assert.Equal(-5, (int)forward["prio"]!);
        Assert.Equal("accept", (string?)forward["policy"]);
        Assert.All(compiled.Chains, c => Assert.Equal("appliance", (string?)c["chain"]!["table"]));
    }

    [Fact]
    public void Compile_EveryAccept_SetsTheMark()
    {
        CompiledRuleset compiled = NftCompiler.Compile(Sample() with { Mark = new PacketMark(0x4, 0xc) });

        var accepts = compiled.Rules.Where(r => r["rule"]!["expr"]!.AsArray().Any(e => e!.AsObject().ContainsKey("accept"))).ToList();
        Assert.NotEmpty(accepts);
        Assert.All(accepts, r => Assert.Contains("\"mangle\"", r.ToJsonString()));
        // Value within mask: mark = (mark & ~mask) | value.
        Assert.Contains($"[{{\"meta\":{{\"key\":\"mark\"}}}},{~0xcu}]", accepts[0].ToJsonString());
    }

    [Fact]
    public void Compile_PublishedPorts_BecomeMapAndSetElements()
    {
        CompiledRuleset compiled = NftCompiler.Compile(Sample());

        Assert.Equal(["{\"concat\":[\"tcp\",10080]} : \"10.88.1.3\"", "{\"concat\":[\"tcp\",10022]} : \"10.88.1.3\"", "{\"concat\":[\"udp\",10053]} : \"10.88.1.4\""],
            Elements(compiled, NftCompiler.DnatExternalAny + NftCompiler.AddrSuffix));
        // Host-only ports are DNAT'd for the host itself only.
        Assert.Contains("{\"concat\":[\"tcp\",15432]} : 5432", Elements(compiled, NftCompiler.DnatLocalAny + NftCompiler.PortSuffix));
        Assert.DoesNotContain(Elements(compiled, NftCompiler.DnatExternalAny + NftCompiler.PortSuffix), e => e.Contains("15432"));
        Assert.Equal(["{\"concat\":[\"10.88.1.3\",\"tcp\",80]}"], Elements(compiled, NftCompiler.PublishedInternet));
        Assert.Equal(["{\"concat\":[\"10.88.1.3\",\"tcp\",22]}"], Elements(compiled, NftCompiler.PublishedLan));
        Assert.Equal(["{\"concat\":[{\"prefix\":{\"addr\":\"10.1.0.0\",\"len\":16}},\"10.88.1.4\",\"udp\",53]}"], Elements(compiled, NftCompiler.PublishedFrom));
        Assert.Equal(["{\"prefix\":{\"addr\":\"192.168.50.0\",\"len\":24}}"], Elements(compiled, NftCompiler.LanNets));
    }

    [Fact]
    public void Compile_Stacks_AreIsolatedBridgesWithOptionalEgress()
    {
        CompiledRuleset compiled = NftCompiler.Compile(Sample());

        Assert.Equal(["\"ap-gitlab\"", "\"ap-offline\""], Elements(compiled, NftCompiler.Bridges));
        Assert.Equal(["{\"concat\":[\"ap-gitlab\",\"ap-gitlab\"]}", "{\"concat\":[\"ap-offline\",\"ap-offline\"]}"], Elements(compiled, NftCompiler.Intra));
        Assert.Equal(["\"ap-gitlab\""], Elements(compiled, NftCompiler.Egress));
        Assert.Equal(["{\"prefix\":{\"addr\":\"10.88.1.0\",\"len\":24}}"], Elements(compiled, NftCompiler.EgressNets));
    }

    [Fact]
    public void Compile_HostServices_WithTheirSources()
    {
        CompiledRuleset compiled = NftCompiler.Compile(Sample());

        Assert.Equal(["{\"concat\":[{\"prefix\":{\"addr\":\"192.168.50.0\",\"len\":24}},\"tcp\",8443]}", "{\"concat\":[\"192.168.50.10\",\"tcp\",22]}"],
            Elements(compiled, NftCompiler.HostServices));
    }

    [Fact]
    public void Compile_SharedTarget_MergesNestedSources()
    {
        FirewallIntent intent = Sample() with
        {
            Stacks =
            [
                Sample().Stacks[0] with
                {
                    PublishedPorts =
                    [
                        Port(1, "10.88.1.9", 80, Exposure.FromSources(IPNetwork.Parse("10.0.0.0/8"))),
                        Port(2, "10.88.1.9", 80, Exposure.FromSources(IPNetwork.Parse("10.1.0.0/16"), IPNetwork.Parse("172.16.0.0/12"))),
                    ],
                },
            ],
        };

        CompiledRuleset compiled = NftCompiler.Compile(intent);

        Assert.Equal(2, compiled.Elements[NftCompiler.PublishedFrom].Count);
        Assert.DoesNotContain(Elements(compiled, NftCompiler.PublishedFrom), e => e.Contains("10.1.0.0"));
    }

    [Fact]
    public void ElementTransaction_OnePortMore_IsElementAddsOnly()
    {
        CompiledRuleset before = NftCompiler.Compile(Sample());
        FirewallIntent more = Sample() with
        {
            Stacks = [Sample().Stacks[0] with { PublishedPorts = [.. Sample().Stacks[0].PublishedPorts, Port(10443, "10.88.1.3", 443, Exposure.Lan)] }, Sample().Stacks[1]],
        };

        JsonObject? change = NftCompiler.Compile(more).ElementTransaction(before);

        Assert.NotNull(change);
        JsonArray commands = change["nftables"]!.AsArray();
        Assert.All(commands, c => Assert.Equal("add", c!.AsObject().Single().Key));
        Assert.All(commands, c => Assert.True(c!["add"]!.AsObject().ContainsKey("element")));
        Assert.Equal(5, commands.Count); // 2 DNAT pairs (external, local) + published_lan
    }

    [Fact]
    public void ElementTransaction_SameIntent_IsEmpty_AndShapeChange_IsNull()
    {
        CompiledRuleset before = NftCompiler.Compile(Sample());

        Assert.Empty(NftCompiler.Compile(Sample()).ElementTransaction(before)!["nftables"]!.AsArray());
        Assert.Null(NftCompiler.Compile(Sample() with { DropUnmatchedInput = false }).ElementTransaction(before));
    }

    [Fact]
    public void FullTransaction_TouchesOnlyItsOwnTable()
    {
        JsonObject full = NftCompiler.Compile(Sample() with { TableName = "mine" }).FullTransaction();

        string json = full.ToJsonString();
        Assert.DoesNotContain("\"ruleset\"", json);
        foreach (JsonNode? command in full["nftables"]!.AsArray())
        {
            (string kind, JsonNode? value) = command!.AsObject().Single().Value!.AsObject().Single();
            JsonObject body = value!.AsObject();
            Assert.Equal("mine", kind == "table" ? (string?)body["name"] : (string?)body["table"]);
        }
        Assert.Equal("delete", full["nftables"]![1]!.AsObject().Single().Key);
    }

    [Fact]
    public void Compile_InvalidIntent_ReportsEveryError()
    {
        FirewallIntent bad = Sample() with
        {
            TableName = "no spaces allowed",
            Stacks =
            [
                new StackNetwork
                {
                    Name = "x",
                    Bridge = "a-bridge-name-far-too-long",
                    Subnet = IPNetwork.Parse("10.88.1.0/24"),
                    PublishedPorts = [Port(0, "10.99.0.1", 80, Exposure.Lan), Port(80, "10.88.1.2", 80, Exposure.Lan), Port(80, "10.88.1.3", 81, Exposure.Lan)],
                },
                new StackNetwork { Name = "y", Bridge = "ap-y", Subnet = IPNetwork.Parse("10.88.0.0/16") },
            ],
        };

        InvalidFirewallIntentException error = Assert.Throws<InvalidFirewallIntentException>(() => NftCompiler.Compile(bad));

        Assert.Contains(error.Errors, e => e.StartsWith("tableName:"));
        Assert.Contains(error.Errors, e => e.Contains(".bridge:") && e.Contains("a-bridge-name-far-too-long"));
        Assert.Contains(error.Errors, e => e.Contains("publishedPorts[0].hostPort: 0 is not a port"));
        Assert.Contains(error.Errors, e => e.Contains("publishedPorts[0].containerAddress: 10.99.0.1 is outside"));
        Assert.Contains(error.Errors, e => e.Contains("publishedPorts[2]: host port 80/tcp is already published by stacks[0] (x).publishedPorts[1]"));
        Assert.Contains(error.Errors, e => e.Contains("overlaps"));
        Assert.True(error.Errors.Count >= 6);
    }
}
