using Appliance.Orchestrator.Images;

namespace Appliance.Orchestrator.Tests.Images;

public sealed class RegistryClientTests
{
    [Fact]
    public void ParseChallenge_DockerHubStyle_ReadsRealmServiceScope()
    {
        IReadOnlyDictionary<string, string> challenge = RegistryClient.ParseChallenge(
            "realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/redis:pull\"");

        Assert.Equal("https://auth.docker.io/token", challenge["realm"]);
        Assert.Equal("registry.docker.io", challenge["service"]);
        Assert.Equal("repository:library/redis:pull", challenge["scope"]);
    }

    [Fact]
    public void ParseChallenge_TokenValues_AndSpaces()
    {
        IReadOnlyDictionary<string, string> challenge = RegistryClient.ParseChallenge("realm = \"https://r/t\", service=reg");

        Assert.Equal("https://r/t", challenge["realm"]);
        Assert.Equal("reg", challenge["service"]);
    }

    [Theory]
    [InlineData("127.0.0.1:5000", "http")]
    [InlineData("localhost:5000", "http")]
    [InlineData("[::1]:5000", "http")]
    [InlineData("registry.example.com", "https")]
    [InlineData("10.0.0.5:5000", "https")]
    [InlineData("docker.io", "https")]
    public void BaseUri_PlainHttp_OnlyToLoopback(string registry, string scheme)
    {
        Uri uri = RegistryClient.BaseUri(ImageReference.Parse($"{registry}/app"));

        Assert.Equal(scheme, uri.Scheme);
    }
}
