using System.CommandLine;
using Appliance.Web.Cli;

namespace Appliance.Web.Tests.Cli;

public sealed class ServeCommandTests
{
    [Fact]
    public void FirewallBackend_UnknownName_IsAnErrorListingTheValidOnes()
    {
        ParseResult result = ServeCommand.Create().Parse(["--firewall-backend", "iptables"]);

        string errors = string.Join("\n", result.Errors.Select(e => e.Message));
        Assert.Contains("iptables", errors);
        Assert.Contains("nftables", errors);
        Assert.Contains("firewalld", errors);
    }

    [Theory]
    [InlineData("firewalld")]
    [InlineData("none")]
    public void FirewallBackend_KnownName_Parses(string name)
    {
        ParseResult result = ServeCommand.Create().Parse(["--firewall-backend", name]);

        Assert.Empty(result.Errors);
        Assert.Equal(name, result.GetValue<string>("--firewall-backend"));
    }

    [Fact]
    public void FirewallBackend_Default_IsAuto()
    {
        Assert.Equal("auto", ServeCommand.Create().Parse([]).GetValue<string>("--firewall-backend"));
    }
}
