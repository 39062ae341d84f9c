using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Runtime;
using Appliance.Orchestrator.Stacks.Resolved;
using Appliance.TestSupport;
using Appliance.TestSupport.Registry;

namespace Appliance.Integration.Tests.Engine;

[Collection(RegistryFixture.Collection)]
public sealed class StackEngineTests(RegistryFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task GitlabProbeStack_InNas_ReachesDatabaseAndRedisByName_AndDownLeavesNothing()
    {
        await using EngineTestBed bed = await EngineTestBed.CreateAsync();
        ResolvedStack stack = EngineTestBed.Load(await File.ReadAllTextAsync(EngineTestBed.StackFile("gitlab-probe")),
            new Dictionary<string, string> { ["REGISTRY"] = fixture.Registry.Host, ["DB_PASS"] = "probe-secret-0123" });

        await bed.Engine.UpAsync(stack, bed.Progress);
        ResolvedHealthcheck check = stack.FindService("gitlab")!.Healthcheck!;
        await Poll.UntilAsync(async () => (await bed.Engine.ExecAsync(stack.Name, "gitlab", check.Test, check.Timeout)).Succeeded, Timeout,
            () => "gitlab-probe never reported healthy");
        IReadOnlyList<ServiceStatus> ps = await bed.Engine.PsAsync(stack.Name);
        string gitlabLogs = await bed.LogTextAsync(stack.Name, "gitlab");
        string gitlabAddress = ps.Single(s => s.Service == "gitlab").Address!;
        string? banner = await TestBox.TryConnectTcpAsync(bed.Box.Nas, gitlabAddress, 22, TimeSpan.FromSeconds(5));
        ExecResult hosts = await bed.Engine.ExecAsync(stack.Name, "gitlab", ["cat", "/etc/hosts"], Timeout);
        var pids = new List<int>();
        foreach (ServiceStatus s in ps)
        {
            pids.Add((await bed.Runtime.InspectAsync(s.ContainerId))!.Pid);
        }
        List<string> order = bed.Events.Where(e => e.Step == EngineStep.StartContainer).Select(e => e.Service!).ToList();
        // The stack file's logging options reach conmon: it starts a new file at gitlab's max-size (5m).
        string gitlabBundle = Path.Combine(bed.Runtime.Options.ContainersDirectory, ps.Single(s => s.Service == "gitlab").ContainerId);
        string[] conmonArgs = (await File.ReadAllTextAsync($"/proc/{(await File.ReadAllTextAsync(Path.Combine(gitlabBundle, "conmon.pid"))).Trim()}/cmdline")).Split('\0');

        Assert.All(ps, s => Assert.Equal(ContainerStatus.Running, s.Status));
        Assert.Equal("gitlab", order.Last());
        Assert.Contains("PostgreSQL at postgresql:5432 is ready", gitlabLogs);
        Assert.Contains("Redis at redis:6379 is ready", gitlabLogs);
        Assert.StartsWith("SSH-2.0-gitlab-probe", banner);
        Assert.Contains($"{ps.Single(s => s.Service == "postgresql").Address}\tpostgresql", hosts.Stdout);
        Assert.Contains("ap-gitlab-probe", await bed.NasLinksAsync());
        Assert.Equal("5242880", conmonArgs[Array.IndexOf(conmonArgs, "--log-size-max") + 1]);

        await bed.Engine.DownAsync(stack.Name, removeVolumes: true, bed.Progress);

        Assert.Empty(bed.Engine.ListStacks());
        Assert.DoesNotContain(await bed.NasLinksAsync(), l => l.StartsWith("ap-") || l.StartsWith("ve-"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(bed.Box.RunDir, "netns")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(bed.Runtime.Options.RuncRoot));
        Assert.DoesNotContain(await File.ReadAllLinesAsync("/proc/self/mountinfo"), l => IsContainerMount(l, bed));
        Assert.All(pids, pid => Assert.False(Directory.Exists($"/proc/{pid}/ns"), $"container process {pid} still runs"));
        Assert.All(ps, s => Assert.Empty(CgroupDirsNamed(s.ContainerId)));
    }

    [Fact]
    public async Task Up_ServiceFailingToStart_RollsBackEverything_AndNamesTheStep()
    {
        await using EngineTestBed bed = await EngineTestBed.CreateAsync();
        string image = fixture.Registry.Reference(TestImages.Busybox);
        ResolvedStack stack = EngineTestBed.Load($"""
            name: broken
            services:
              init:
                image: {image}
                command: ["sh", "-c", "echo migrated; exit 0"]
              app:
                image: {image}
                command: ["sleep", "600"]
                depends_on:
                  init:
                    condition: service_completed_successfully
              web:
                image: {image}
                command: ["/no/such/program"]
                depends_on: [app]
            """);

        var error = await Assert.ThrowsAsync<StackDeploymentException>(() => bed.Engine.UpAsync(stack, bed.Progress));

        Assert.True(error.Step == EngineStep.CreateContainer, error.Message); // runc checks the program at create
        Assert.Equal("web", error.Service);
        Assert.Contains("/no/such/program", error.Message);
        Assert.Empty(error.RollbackFailures);
        Assert.Contains(bed.Events, e => e.Step == EngineStep.StartContainer && e.Service == "app");
        Assert.Empty(bed.Engine.ListStacks());
        Assert.Empty(await bed.Runtime.ListAsync());
        Assert.DoesNotContain(await bed.NasLinksAsync(), l => l.StartsWith("ap-") || l.StartsWith("ve-"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(bed.Box.RunDir, "netns")));
        Assert.DoesNotContain(await File.ReadAllLinesAsync("/proc/self/mountinfo"), l => IsContainerMount(l, bed));
    }

    /// <summary>A mount of the box's other than the image store's layer images, which stay with the images after down.</summary>
    private static bool IsContainerMount(string mountinfoLine, EngineTestBed bed) =>
        (mountinfoLine.Contains(bed.Box.TempDir) || mountinfoLine.Contains(bed.Box.RunDir))
        && !mountinfoLine.Contains(Path.Combine(bed.Images.Root, "layers") + "/", StringComparison.Ordinal);

    private static IEnumerable<string> CgroupDirsNamed(string name) =>
        Directory.EnumerateDirectories("/sys/fs/cgroup").SelectMany(controller =>
        {
            try
            {
                return Directory.EnumerateDirectories(controller, name, new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 4 }).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return [];
            }
        });
}
