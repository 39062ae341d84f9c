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

    [Fact]
    public void ConfirmWindow_Default_IsSixtySeconds()
    {
        Assert.Equal(60, ServeCommand.Create().Parse([]).GetValue<int>("--confirm-window"));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("600")]
    public void ConfirmWindow_WithinBounds_Parses(string seconds)
    {
        ParseResult result = ServeCommand.Create().Parse(["--confirm-window", seconds]);

        Assert.Empty(result.Errors);
        Assert.Equal(int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture), result.GetValue<int>("--confirm-window"));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("9")]
    [InlineData("601")]
    [InlineData("-5")]
    public void ConfirmWindow_OutOfBounds_IsAnErrorNamingTheBounds(string seconds)
    {
        ParseResult result = ServeCommand.Create().Parse(["--confirm-window", seconds]);

        string errors = string.Join("\n", result.Errors.Select(e => e.Message));
        Assert.Contains($"--confirm-window {seconds}", errors);
        Assert.Contains("between 10 and 600 seconds", errors);
    }
}
