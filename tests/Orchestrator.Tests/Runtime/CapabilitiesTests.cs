using Appliance.Orchestrator.Runtime;

namespace Appliance.Orchestrator.Tests.Runtime;

public sealed class CapabilitiesTests
{
    [Fact]
    public void Resolve_AddAndDrop_OnTopOfDockerDefaults()
    {
        var problems = new List<string>();

        IReadOnlyList<string> caps = Capabilities.Resolve(["net_admin", "CAP_SYS_PTRACE"], ["MKNOD"], problems);

        Assert.Empty(problems);
        Assert.Contains("CAP_NET_ADMIN", caps);
        Assert.Contains("CAP_SYS_PTRACE", caps);
        Assert.Contains("CAP_CHOWN", caps);
        Assert.DoesNotContain("CAP_MKNOD", caps);
        Assert.DoesNotContain("CAP_SYS_ADMIN", caps);
    }

    [Fact]
    public void Resolve_UnknownName_IsReported()
    {
        var problems = new List<string>();

        Capabilities.Resolve(["FLY"], [], problems);

        Assert.Single(problems);
        Assert.Contains("'FLY'", problems[0]);
    }
}
