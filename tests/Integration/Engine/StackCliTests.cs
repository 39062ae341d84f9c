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
        (string name, string file, string[] where) = await WriteStackAsync(bed, "-cli", """
              app:
                image: ${REGISTRY}/busybox:latest
                command: ["sh", "-c", "echo hello from app; exec sleep 600"]
              db:
                image: ${REGISTRY}/busybox:latest
                command: ["sleep", "600"]
            """);
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

    [Fact]
    public async Task ApplianceProcess_SigKilled_LeavesContainersRunning_AndANewEngineFindsThem()
    {
        await using EngineTestBed bed = await EngineTestBed.CreateAsync();
        (string name, string file, string[] where) = await WriteStackAsync(bed, "-kill", """
              app:
                image: ${REGISTRY}/busybox:latest
                command: ["sh", "-c", "while true; do echo tick; sleep 0.2; done"]
            """);
        bed.Box.OnTeardown("stack down", async () => await ApplianceCli.RunAsync(["stack", "down", name, .. where]));
        string appliance = Path.Combine(AppContext.BaseDirectory, "appliance");

        CommandResult up = await Command.RunAsync([appliance, "stack", "up", file, "--var", $"REGISTRY={fixture.Registry.Host}", .. where],
            TimeSpan.FromMinutes(2), bed.Box.Environment);
        var follow = new System.Diagnostics.ProcessStartInfo(appliance) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])["stack", "logs", name, "app", "-f", .. where])
        {
            follow.ArgumentList.Add(arg);
        }
        follow.Environment[TestPrefix.EnvironmentVariable] = bed.Box.Prefix;
        using var process = System.Diagnostics.Process.Start(follow)!;
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            string? line;
            do
            {
                line = await process.StandardOutput.ReadLineAsync(deadline.Token); // throws if no tick in 30 s
            }
            while (line is not null && line != "tick");
            Assert.Equal("tick", line);
            Tmds.Linux.LibC.kill(process.Id, 9);
            await process.WaitForExitAsync();
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        IReadOnlyList<ServiceStatus> ps = await bed.Engine.PsAsync(name);
        ExecResult exec = await bed.Engine.ExecAsync(name, "app", ["echo", "still here"], TimeSpan.FromSeconds(20));

        Assert.True(up.Succeeded, up.Stderr);
        Assert.Equal(137, process.ExitCode);
        Assert.Equal(ContainerStatus.Running, Assert.Single(ps).Status);
        Assert.Equal("still here\n", exec.Stdout);
    }

    /// <summary>
    /// Writes a stack file named PREFIX<paramref name="suffix"/> with <paramref name="services"/>
    /// (the indented lines under <c>services:</c>); returns its name, path and the CLI options
    /// that point the appliance at the test box.
    /// </summary>
    private static async Task<(string Name, string File, string[] Where)> WriteStackAsync(EngineTestBed bed, string suffix, string services)
    {
        string name = bed.Box.Prefix + suffix;
        string file = Path.Combine(bed.Box.TempDir, "stack.yaml");
        await File.WriteAllTextAsync(file, $"name: {name}\nservices:\n{services}\n");
        string[] where = ["--state-dir", Path.Combine(bed.Box.TempDir, "state"), "--run-dir", bed.Box.RunDir, "--host-netns", bed.Box.Nas.NamespacePath];
        return (name, file, where);
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
