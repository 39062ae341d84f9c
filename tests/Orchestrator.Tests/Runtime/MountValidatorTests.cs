using Appliance.Orchestrator.Runtime;

namespace Appliance.Orchestrator.Tests.Runtime;

public sealed class MountValidatorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mountvalidator").FullName;

    [Fact]
    public void Validate_OwnDirectory_IsAccepted()
    {
        var problems = new List<string>();

        IReadOnlyList<ContainerMount> ok = MountValidator.Validate([new ContainerMount(MountKind.Bind, _dir, "/data", ReadOnly: true)], problems);

        Assert.Empty(problems);
        Assert.Equal(_dir, ok.Single().Source);
    }

    [Fact]
    public void Validate_SymlinkIntoEtc_IsRejected()
    {
        string link = Path.Combine(_dir, "sneaky");
        File.CreateSymbolicLink(link, "/etc/ssl");
        var problems = new List<string>();

        MountValidator.Validate([new ContainerMount(MountKind.Bind, link, "/data")], problems);

        Assert.Contains("resolves to '/etc/ssl'", Assert.Single(problems));
    }

    [Theory]
    [InlineData("/", "/host")]
    [InlineData("/proc", "/p")]
    [InlineData("/tmp/../etc", "/x")]
    [InlineData("relative/dir", "/x")]
    [InlineData("/tmp", "relative")]
    [InlineData("/tmp", "/a/../b")]
    public void Validate_Unsafe_IsRejected(string source, string target)
    {
        var problems = new List<string>();

        MountValidator.Validate([new ContainerMount(MountKind.Bind, source, target)], problems);

        Assert.Single(problems);
    }

    [Fact]
    public void Validate_MissingSource_SaysSo()
    {
        var problems = new List<string>();

        MountValidator.Validate([new ContainerMount(MountKind.Bind, Path.Combine(_dir, "nope"), "/x")], problems);

        Assert.Contains("does not exist", Assert.Single(problems));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
