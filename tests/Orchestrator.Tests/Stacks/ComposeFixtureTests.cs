using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.Stacks.Resolved;

namespace Appliance.Orchestrator.Tests.Stacks;

/// <summary>Compose files from the install pages of popular projects load as they are (warnings allowed).</summary>
public sealed class ComposeFixtureTests
{
    private static StackLoadResult LoadFixture(string name) =>
        StackLoader.Load(Path.Combine(StackTestHelpers.RepoRoot, "tests", "Orchestrator.Tests", "Stacks", "Fixtures", name, "docker-compose.yml"));

    [Theory]
    [InlineData("gitea", 2)]
    [InlineData("nextcloud", 3)]
    [InlineData("immich", 4)]
    [InlineData("wordpress", 2)]
    [InlineData("jellyfin", 1)]
    public void Loads_WithWarningsOnly(string name, int services)
    {
        StackLoadResult result = LoadFixture(name);
        result.AssertValid();
        Assert.Equal(services, result.Stack!.Services.Count);
        Assert.All(result.Warnings, w => Assert.True(w.Line > 0 && w.Column > 0));
    }

    [Fact]
    public void Gitea_KeepsBindMountsRelativeToTheFile_AndItsNamedNetwork()
    {
        StackLoadResult result = LoadFixture("gitea");
        ResolvedStack stack = result.Stack!;
        result.AssertAt(1, 1, StackDiagnosticSeverity.Warning, "version", "obsolete");
        result.AssertAt(10, 5, StackDiagnosticSeverity.Warning, "services.server.container_name", "is ignored");
        Assert.Equal(["db", "server"], stack.Services.Select(s => s.Name));
        Assert.Equal("gitea", stack.Network);
        ResolvedService server = stack.FindService("server")!;
        string dir = Path.Combine(StackTestHelpers.RepoRoot, "tests", "Orchestrator.Tests", "Stacks", "Fixtures", "gitea");
        Assert.Equal(new ResolvedMount(MountType.Bind, Path.Combine(dir, "gitea"), "/data", false), server.Mounts[0]);
        Assert.Equal(new ResolvedMount(MountType.Bind, "/etc/timezone", "/etc/timezone", true), server.Mounts[1]);
        Assert.Equal([3000, 222], server.Ports.Select(p => p.HostPort));
        Assert.Equal([3000, 22], server.Ports.Select(p => p.ContainerPort));
    }

    [Fact]
    public void Immich_ReadsDotEnvForVariables_AndEnvFileForEnvironment()
    {
        ResolvedStack stack = LoadFixture("immich").Stack!;
        Assert.Equal("immich", stack.Name);
        ResolvedService server = stack.FindService("immich-server")!;
        Assert.Equal("ghcr.io/immich-app/immich-server:release", server.Image);
        Assert.EndsWith(Path.Combine("immich", "library"), server.Mounts[0].Source);
        Assert.Contains(new KeyValuePair<string, string>("DB_DATABASE_NAME", "immich"), server.Environment);
        Assert.Equal(HealthcheckKind.Image, server.Healthcheck!.Kind);
        ResolvedService redis = stack.FindService("redis")!;
        Assert.Equal(["/bin/sh", "-c", "redis-cli ping || exit 1"], redis.Healthcheck!.Test);
        Assert.Equal(128L * 1024 * 1024, stack.FindService("database")!.ShmSizeBytes);
        Assert.Equal("postgres", stack.FindService("database")!.Environment.Single(e => e.Key == "POSTGRES_USER").Value);
        // Services come after what they depend on.
        Assert.True(stack.Services.ToList().FindIndex(s => s.Name == "database") < stack.Services.ToList().FindIndex(s => s.Name == "immich-server"));
    }

    [Fact]
    public void Jellyfin_LongSyntaxBindsAndUdpPort()
    {
        ResolvedService jellyfin = LoadFixture("jellyfin").Stack!.Services.Single();
        Assert.Equal("uid:gid", jellyfin.User);
        Assert.Equal(new PublishedPort(null, 7359, 7359, PortProtocol.Udp, Exposure.Lan, []), jellyfin.Ports[1]);
        Assert.Equal(new ResolvedMount(MountType.Bind, "/path/to/media2", "/media2", true), jellyfin.Mounts[3]);
        Assert.Equal(new KeyValuePair<string, string>("host.docker.internal", "host-gateway"), Assert.Single(jellyfin.ExtraHosts));
        Assert.Equal(new RestartPolicy(RestartMode.UnlessStopped), jellyfin.Restart);
    }

    [Fact]
    public void Nextcloud_SplitsTheCommandString_AndWarnsAboutLinks()
    {
        StackLoadResult result = LoadFixture("nextcloud");
        result.AssertAt(31, 5, StackDiagnosticSeverity.Warning, "services.app.links", "links are not needed");
        Assert.Equal(["--transaction-isolation=READ-COMMITTED"], result.Stack!.FindService("db")!.Command);
        Assert.Equal("", result.Stack.FindService("db")!.Environment.Single(e => e.Key == "MYSQL_ROOT_PASSWORD").Value);
    }
}
