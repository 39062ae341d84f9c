using Appliance.Netfilter.Firewalld;
using Tmds.DBus.Protocol;

namespace Appliance.Netfilter.Tests.Firewalld;

public sealed class FirewalldSettingsTests
{
    private static readonly FirewalldZone Zone = new()
    {
        Name = "appliance", Short = "Appliance", Description = "d", Target = "default",
        Interfaces = ["ap-a", "ap-b"], RichRules = ["rule family=\"ipv4\" source address=\"10.88.1.0/24\" accept"],
    };

    [Fact]
    public void RuntimeZone_HasOnlyListsAndFlags()
    {
        // setZoneSettings2 rejects string settings ("Unhandled setting type") at runtime.
        Dictionary<string, VariantValue> runtime = FirewalldSettings.RuntimeZone(Zone);

        Assert.Equal(["forward", "interfaces", "rules_str", "services", "sources"], runtime.Keys.Order());
    }

    [Fact]
    public void PermanentZone_RoundTrips()
    {
        FirewalldZone read = FirewalldSettings.ReadZone("appliance", FirewalldSettings.PermanentZone(Zone));

        Assert.True(read.SameAs(Zone), read.ToString());
    }

    [Fact]
    public void ReadZone_InternalDefaultTarget_IsDefault()
    {
        Dictionary<string, VariantValue> settings = FirewalldSettings.PermanentZone(Zone);
        settings["target"] = "{chain}_{zone}";

        Assert.Equal("default", FirewalldSettings.ReadZone("appliance", settings).Target);
    }

    [Fact]
    public void PermanentPolicy_RoundTrips()
    {
        var policy = new FirewalldPolicy
        {
            Name = "appliance-stacks", Target = "CONTINUE", Priority = -1, IngressZones = ["appliance"], EgressZones = ["ANY"],
            RichRules = ["rule priority=\"-20\" family=\"ipv4\" destination address=\"10.88.1.0/24\" reject"],
        };

        FirewalldPolicy read = FirewalldSettings.ReadPolicy(policy.Name, FirewalldSettings.PermanentPolicy(policy));

        Assert.True(read.SameAs(policy), read.ToString());
        Assert.Equal(["egress_zones", "ingress_zones", "rich_rules"], FirewalldSettings.RuntimePolicy(policy).Keys.Order());
    }
}
