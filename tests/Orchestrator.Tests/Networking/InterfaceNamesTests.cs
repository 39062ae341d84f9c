using Appliance.Orchestrator.Networking;

namespace Appliance.Orchestrator.Tests.Networking;

public sealed class InterfaceNamesTests
{
    [Fact]
    public void Bridge_ShortStack_IsApDashStack()
    {
        Assert.Equal("ap-gitlab", InterfaceNames.Bridge("gitlab"));
        Assert.Equal("ap-abcdefghijkl", InterfaceNames.Bridge("abcdefghijkl"));
    }

    [Theory]
    [InlineData("a-very-long-stack-name")]
    [InlineData("abcdefghijklm")]
    [InlineData("Mixed.Case")]
    public void Bridge_LongOrUnusualStack_FitsIfnamsiz_AndIsDeterministic(string stack)
    {
        string name = InterfaceNames.Bridge(stack);

        Assert.True(name.Length <= 15, name);
        Assert.True(InterfaceNames.IsValid(name));
        Assert.StartsWith("ap-", name);
        Assert.Contains('.', name);
        Assert.Equal(name, InterfaceNames.Bridge(stack));
    }

    [Fact]
    public void Bridge_LongStacksSharingAPrefix_GetDifferentNames()
    {
        Assert.NotEqual(InterfaceNames.Bridge("homeassistant-1"), InterfaceNames.Bridge("homeassistant-2"));
    }

    [Fact]
    public void HostVeth_IsUniquePerStackAndContainer_AndFits()
    {
        string[] names =
        [
            InterfaceNames.HostVeth("gitlab", "postgresql"),
            InterfaceNames.HostVeth("gitlab", "postgresql-replica"),
            InterfaceNames.HostVeth("nextcloud", "postgresql"),
            InterfaceNames.HostVeth("a-very-long-stack-name", "a-very-long-container-name"),
        ];

        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.All(names, n => Assert.True(n.Length <= 15 && n.StartsWith("ve-") && InterfaceNames.IsValid(n), n));
        Assert.Equal(names[0], InterfaceNames.HostVeth("gitlab", "postgresql"));
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("eth0", true)]
    [InlineData("abcdefghijklmno", true)]
    [InlineData("abcdefghijklmnop", false)]
    [InlineData("a/b", false)]
    [InlineData("a:b", false)]
    [InlineData("a b", false)]
    [InlineData("..", false)]
    public void IsValid_FollowsKernelRules(string name, bool valid)
    {
        Assert.Equal(valid, InterfaceNames.IsValid(name));
    }
}
