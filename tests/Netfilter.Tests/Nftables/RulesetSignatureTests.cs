using System.Text.Json.Nodes;
using Appliance.Netfilter.Nftables;

namespace Appliance.Netfilter.Tests.Nftables;

public sealed class RulesetSignatureTests
{
    /// <summary>A listing shaped as libnftables prints it: the full transaction's objects with handles and counters.</summary>
    private static JsonArray Listing(CompiledRuleset compiled)
    {
        var listing = new JsonArray(new JsonObject { ["metainfo"] = new JsonObject { ["version"] = "1.0.6" } });
        long handle = 1;
        foreach (JsonNode? command in compiled.FullTransaction()["nftables"]!.AsArray().Skip(2))
        {
            JsonObject body = (JsonObject)command!["add"]!.DeepClone();
            if (body["element"] is JsonObject element)
            {
                JsonObject set = listing.OfType<JsonObject>().Select(o => (o["set"] ?? o["map"]) as JsonObject)
                    .First(s => s is not null && (string?)s["name"] == (string?)element["name"])!;
                set["elem"] = element["elem"]!.DeepClone();
                continue;
            }
            body.First().Value!["handle"] = handle++;
            listing.Add(body);
        }
        return listing;
    }

    [Fact]
    public void Compare_IdenticalListing_IsNoDrift()
    {
        CompiledRuleset compiled = NftCompiler.Compile(NftCompilerTests.Sample());

        Assert.Null(RulesetSignature.Compare(compiled, Listing(compiled)));
    }

    [Fact]
    public void Compare_MissingTable_IsTableMissing()
    {
        CompiledRuleset compiled = NftCompiler.Compile(NftCompilerTests.Sample());

        Assert.True(RulesetSignature.Compare(compiled, null)!.TableMissing);
    }

    [Fact]
    public void Compare_RemovedElementAndRule_AreNamed()
    {
        CompiledRuleset compiled = NftCompiler.Compile(NftCompilerTests.Sample());
        JsonArray listing = Listing(compiled);
        JsonObject lan = listing.OfType<JsonObject>().Select(o => o["set"] as JsonObject).First(s => (string?)s?["name"] == NftCompiler.PublishedLan)!;
        lan.Remove("elem");
        listing.Remove(listing.OfType<JsonObject>().Last(o => o["rule"] is not null));

        FirewallDrift drift = RulesetSignature.Compare(compiled, listing)!;

        Assert.False(drift.TableMissing);
        Assert.Contains(drift.Missing, m => m.StartsWith("element published_lan"));
        Assert.Contains(drift.Missing, m => m.StartsWith("rule "));
        Assert.Empty(drift.Unexpected);
    }
}
