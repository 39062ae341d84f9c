using Appliance.Orchestrator.Images;

namespace Appliance.Orchestrator.Tests.Images;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("postgres", "docker.io", "library/postgres", "latest", null)]
    [InlineData("postgres:15", "docker.io", "library/postgres", "15", null)]
    [InlineData("gitlab/gitlab-ce:16.1.0-ce.0", "docker.io", "gitlab/gitlab-ce", "16.1.0-ce.0", null)]
    [InlineData("docker.io/redis", "docker.io", "library/redis", "latest", null)]
    [InlineData("index.docker.io/library/redis:7", "docker.io", "library/redis", "7", null)]
    [InlineData("127.0.0.1:5000/gitlab-probe", "127.0.0.1:5000", "gitlab-probe", "latest", null)]
    [InlineData("localhost/app:v1", "localhost", "app", "v1", null)]
    [InlineData("ghcr.io/team/sub/app:1.0", "ghcr.io", "team/sub/app", "1.0", null)]
    [InlineData("[::1]:5000/app", "[::1]:5000", "app", "latest", null)]
    public void Parse_Accepts_CommonForms(string text, string registry, string repository, string? tag, string? digest)
    {
        ImageReference reference = ImageReference.Parse(text);

        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Equal(digest, reference.Digest);
    }

    [Fact]
    public void Parse_Digest_HasNoDefaultTag_AndAsksForTheDigest()
    {
        string digest = "sha256:" + new string('a', 64);

        ImageReference pinned = ImageReference.Parse("127.0.0.1:5000/redis@" + digest);
        ImageReference both = ImageReference.Parse("redis:7@" + digest);

        Assert.Null(pinned.Tag);
        Assert.Equal(digest, pinned.ManifestReference);
        Assert.Equal("7", both.Tag);
        Assert.Equal(digest, both.ManifestReference);
        Assert.Equal($"docker.io/library/redis:7@{digest}", both.ToString());
        Assert.Equal($"redis:7@{digest}", both.ToDisplayString());
    }

    [Fact]
    public void DockerHub_ApiHost_IsRegistry1()
    {
        Assert.Equal("registry-1.docker.io", ImageReference.Parse("redis").ApiHost);
        Assert.Equal("127.0.0.1:5000", ImageReference.Parse("127.0.0.1:5000/redis").ApiHost);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Postgres", "lower-case")]
    [InlineData("redis@sha256:abc", "64 lower-case hex")]
    [InlineData("redis:bad/tag", "is not a host[:port]")]
    [InlineData("redis:", "tag ''")]
    [InlineData("red is", "white space")]
    public void Parse_Rejects_WithTheReason(string text, string reason)
    {
        var error = Assert.Throws<ImageReferenceException>(() => ImageReference.Parse(text));

        Assert.Contains(reason, error.Message);
        Assert.Contains("expected [REGISTRY/]NAME[:TAG][@sha256:DIGEST]", error.Message);
    }
}
