using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Runtime;
using Appliance.TestSupport;
using Appliance.TestSupport.Registry;
using Appliance.Web.Cli;

namespace Appliance.Integration.Tests.Engine;

[Collection(RegistryFixture.Collection)]
public sealed class StackCliTests(RegistryFixture fixture)
{
    [Fact]
    public async Task StackUpPsLogsDown_FromTheCommandLine_RunAndRemoveTheStack()
    {
        await using EngineTestBed bed = await EngineTestBed.CreateAsync();
        string name = bed.Box.Prefix + "-cli";
        string file = Path.Combine(bed.Box.TempDir, "stack.yaml");
        await File.WriteAllTextAsync(file, $$"""
            name: {{name}}
            services:
              app:
                image: ${REGISTRY}/busybox:latest
                command: ["sh", "-c", "echo hello from app; exec sleep 600"]
              db:
                image: ${REGISTRY}/busybox:latest
                command: ["sleep", "600"]
            """);
        string[] where = ["--state-dir", Path.Combine(bed.Box.TempDir, "state"), "--run-dir", bed.Box.RunDir, "--host-netns", bed.Box.Nas.NamespacePath];
        bed.Box.OnTeardown("cli stack down", async () => await ApplianceCli.RunAsync(["stack", "down", name, "--volumes", .. where]));

        int up = await ApplianceCli.RunAsync(["stack", "up", file, "--var", $"REGISTRY={fixture.Registry.Host}", .. where]);
        IReadOnlyList<ServiceStatus> ps = await bed.Engine.PsAsync(name);
        await Poll.UntilAsync(async () => await LogsContainAsync(bed.Engine, name, "app", "hello from app"), TimeSpan.FromSeconds(20), () => "no log line");
        int psExit = await ApplianceCli.RunAsync(["stack", "ps", name, .. where]);
        int logs = await ApplianceCli.RunAsync(["stack", "logs", name, "app", .. where]);
        int down = await ApplianceCli.RunAsync(["stack", "down", name, .. where]);
        int downAgain = await ApplianceCli.RunAsync(["stack", "down", name, .. where]);

        Assert.Equal(0, up);
        Assert.Equal(2, ps.Count);
        Assert.All(ps, s => Assert.Equal(ContainerStatus.Running, s.Status));
        Assert.Equal(0, psExit);
        Assert.Equal(0, logs);
        Assert.Equal(0, down);
        Assert.Equal(1, downAgain);
        Assert.Empty(bed.Engine.ListStacks());
        Assert.Empty(await bed.Runtime.ListAsync());
    }

    private static async Task<bool> LogsContainAsync(StackEngine engine, string stack, string service, string text)
    {
        await foreach (LogLine line in engine.LogsAsync(stack, service, follow: false))
        {
            if (line.Text.Contains(text))
            {
                return true;
            }
        }
        return false;
    }
}
