using Appliance.Orchestrator.Runtime;

namespace Appliance.Orchestrator.Tests.Runtime;

public sealed class ProcessResolverTests
{
    private static readonly ImageProcessConfig Image = new()
    {
        Entrypoint = ["/docker-entrypoint.sh"],
        Cmd = ["postgres"],
        Env = ["PATH=/usr/lib/postgresql/bin:/bin", "PGDATA=/var/lib/postgresql/data"],
        User = "postgres",
        WorkingDir = "/var/lib/postgresql",
    };

    [Fact]
    public void Resolve_NoOverrides_UsesImageEntrypointAndCmd()
    {
        ContainerProcess p = ProcessResolver.Resolve(Image, null, null);

        Assert.Equal(["/docker-entrypoint.sh", "postgres"], p.Args);
        Assert.Equal("postgres", p.User);
        Assert.Equal("/var/lib/postgresql", p.WorkingDir);
    }

    [Fact]
    public void Resolve_Command_ReplacesCmdKeepsEntrypoint()
    {
        ContainerProcess p = ProcessResolver.Resolve(Image, null, ["postgres", "-c", "fsync=off"]);

        Assert.Equal(["/docker-entrypoint.sh", "postgres", "-c", "fsync=off"], p.Args);
    }

    [Fact]
    public void Resolve_Entrypoint_DropsImageCmd()
    {
        ContainerProcess p = ProcessResolver.Resolve(Image, ["/bin/sh"], null);

        Assert.Equal(["/bin/sh"], p.Args);
    }

    [Fact]
    public void Resolve_Environment_OverridesImageByKeyAndKeepsOrder()
    {
        ContainerProcess p = ProcessResolver.Resolve(Image, null, null,
            new Dictionary<string, string> { ["PGDATA"] = "/data", ["POSTGRES_PASSWORD"] = "s" }, user: "1000:1000", workingDir: "/srv");

        Assert.Equal(["PATH=/usr/lib/postgresql/bin:/bin", "PGDATA=/data", "POSTGRES_PASSWORD=s"], p.Env);
        Assert.Equal("1000:1000", p.User);
        Assert.Equal("/srv", p.WorkingDir);
    }

    [Fact]
    public void Resolve_NothingToRun_Throws()
    {
        Assert.Throws<ArgumentException>(() => ProcessResolver.Resolve(new ImageProcessConfig(), null, null));
    }
}
