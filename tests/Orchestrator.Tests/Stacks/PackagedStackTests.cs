using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.Stacks.Resolved;

namespace Appliance.Orchestrator.Tests.Stacks;

/// <summary>The stacks shipped in stacks/ (and the test-only gitlab-probe) load cleanly and resolve as designed.</summary>
public sealed class PackagedStackTests
{
    public static TheoryData<string> StackFiles()
    {
        var data = new TheoryData<string>();
        foreach (string dir in Directory.GetDirectories(Path.Combine(StackTestHelpers.RepoRoot, "stacks")).Order())
        {
            data.Add(Path.GetRelativePath(StackTestHelpers.RepoRoot, Path.Combine(dir, "stack.yaml")));
        }
        data.Add(Path.Combine("tests", "stacks", "gitlab-probe", "stack.yaml"));
        return data;
    }

    [Theory]
    [MemberData(nameof(StackFiles))]
    public void Loads_WithoutErrorsOrWarnings(string relativePath)
    {
        StackLoadResult result = StackLoader.Load(Path.Combine(StackTestHelpers.RepoRoot, relativePath));
        result.AssertValid();
        Assert.Empty(result.Diagnostics);
    }

    [Theory]
    [InlineData("gitlab")]
    [InlineData("gitea")]
    [InlineData("nextcloud")]
    [InlineData("vaultwarden")]
    [InlineData("uptime-kuma")]
    [InlineData("paperless-ngx")]
    public void HasReadmeIconAndCatalogMetadata(string name)
    {
        string dir = Path.Combine(StackTestHelpers.RepoRoot, "stacks", name);
        Assert.True(File.Exists(Path.Combine(dir, "README.md")), "README.md");
        Assert.True(File.Exists(Path.Combine(dir, "icon.svg")), "icon.svg");
        ResolvedStack stack = StackLoader.Load(Path.Combine(dir, "stack.yaml")).Stack!;
        Assert.Equal(name, stack.Name);
        Assert.False(string.IsNullOrWhiteSpace(stack.Catalog?.Title));
        Assert.False(string.IsNullOrWhiteSpace(stack.Catalog?.Description));
        Assert.Equal("icon.svg", stack.Catalog?.Icon);
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(dir, "icon.svg")).TrimStart());
    }

    [Fact]
    public void Gitlab_StartsAfterHealthyDatabaseAndRedis_WithPublishedPortsTiedToItsSettings()
    {
        ResolvedStack stack = StackLoader.Load(Path.Combine(StackTestHelpers.RepoRoot, "stacks", "gitlab", "stack.yaml")).Stack!;

        Assert.Equal(["redis", "postgresql", "gitlab"], stack.Services.Select(s => s.Name));
        ResolvedService gitlab = stack.FindService("gitlab")!;
        Assert.Equal(
            [new ResolvedDependency("postgresql", DependencyCondition.ServiceHealthy, false, true), new ResolvedDependency("redis", DependencyCondition.ServiceHealthy, false, true)],
            gitlab.DependsOn);
        Assert.Equal(
            [new PublishedPort(null, 10080, 80, PortProtocol.Tcp, Exposure.Lan, []), new PublishedPort(null, 10022, 22, PortProtocol.Tcp, Exposure.Lan, [])],
            gitlab.Ports.Select(p => p with { Sources = [] }));
        var env = gitlab.Environment.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("postgresql", env["DB_HOST"]);
        Assert.Equal("redis", env["REDIS_HOST"]);
        Assert.Equal("10080", env["GITLAB_PORT"]);
        Assert.Equal("10022", env["GITLAB_SSH_PORT"]);
        Assert.Equal("gitlab", env["DB_USER"]); // from the merge key (<<: *db)
        Assert.Equal(64, env["GITLAB_SECRETS_DB_KEY_BASE"].Length);
        Assert.NotEqual(env["GITLAB_SECRETS_DB_KEY_BASE"], env["GITLAB_SECRETS_SECRET_KEY_BASE"]);
        Assert.Equal(env["DB_PASS"], stack.FindService("postgresql")!.Environment.Single(p => p.Key == "DB_PASS").Value);

        ResolvedHealthcheck pg = stack.FindService("postgresql")!.Healthcheck!;
        Assert.Equal(HealthcheckKind.Shell, pg.Kind);
        Assert.Equal(["/bin/sh", "-c", "pg_isready -h 127.0.0.1 -U ${DB_USER} -d ${DB_NAME}"], pg.Test);
        Assert.Equal(TimeSpan.FromSeconds(10), pg.Interval);
        Assert.Equal(TimeSpan.FromSeconds(30), pg.StartPeriod);
        Assert.Equal(TimeSpan.FromMinutes(5), gitlab.Healthcheck!.StartPeriod);
        Assert.Equal(new AutohealPolicy(true, 3, TimeSpan.FromHours(1), TimeSpan.FromSeconds(30)), gitlab.Autoheal);
        Assert.Equal(new RestartPolicy(RestartMode.Always), gitlab.Restart);
        Assert.Equal(new ResolvedMount(MountType.Volume, "gitlab_gitlab-data", "/home/git/data", false), Assert.Single(gitlab.Mounts));
    }

    [Fact]
    public void Gitlab_GeneratesSecretsOnce_AndKeepsThemWhenPassedBack()
    {
        string path = Path.Combine(StackTestHelpers.RepoRoot, "stacks", "gitlab", "stack.yaml");
        ResolvedStack first = StackLoader.Load(path).Stack!;
        ResolvedParameter generated = first.Parameters.Single(p => p.Name == "GITLAB_SECRETS_OTP_KEY_BASE");
        Assert.True(generated.Generated);
        Assert.Equal(ParameterType.Secret, generated.Type);
        Assert.Matches("^[A-Za-z0-9]{64}$", generated.Value);

        var saved = first.Parameters.ToDictionary(p => p.Name, p => p.Value);
        saved["HTTP_PORT"] = "8929";
        ResolvedStack again = StackLoader.Load(path, saved).Stack!;
        Assert.All(again.Parameters, p => Assert.False(p.Generated));
        ResolvedService gitlab = again.FindService("gitlab")!;
        Assert.Equal(generated.Value, gitlab.Environment.Single(p => p.Key == "GITLAB_SECRETS_OTP_KEY_BASE").Value);
        Assert.Equal(8929, gitlab.Ports[0].HostPort);
        Assert.Equal("8929", gitlab.Environment.Single(p => p.Key == "GITLAB_PORT").Value);
        Assert.Equal(Exposure.Lan, gitlab.Ports[0].Exposure); // the exposure rule follows the port variable
    }

    [Fact]
    public void GitlabProbe_UsesTheTestRegistry()
    {
        string path = Path.Combine(StackTestHelpers.RepoRoot, "tests", "stacks", "gitlab-probe", "stack.yaml");
        ResolvedStack stack = StackLoader.Load(path, new Dictionary<string, string> { ["REGISTRY"] = "127.0.0.1:5123" }).Stack!;
        Assert.Equal("127.0.0.1:5123/gitlab-probe:latest", stack.FindService("gitlab")!.Image);
        Assert.Equal("127.0.0.1:5000/redis:latest", StackLoader.Load(path).Stack!.FindService("redis")!.Image);
        ResolvedService probe = stack.FindService("gitlab")!;
        Assert.Equal(["/bin/sh", "-c", "wget -q -O- http://127.0.0.1/-/liveness"], probe.Healthcheck!.Test);
        Assert.Equal([10080, 10022], probe.Ports.Select(p => p.HostPort));
        Assert.All(probe.Ports, p => Assert.Equal(Exposure.Lan, p.Exposure));
        var env = probe.Environment.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("postgresql", env["DB_HOST"]);
        Assert.Equal("redis", env["REDIS_HOST"]);
        Assert.Equal(env["DB_PASS"], stack.FindService("postgresql")!.Environment.Single(p => p.Key == "POSTGRES_PASSWORD").Value);
        Assert.Equal(env["DB_USER"], stack.FindService("postgresql")!.Environment.Single(p => p.Key == "POSTGRES_USER").Value);
    }
}
