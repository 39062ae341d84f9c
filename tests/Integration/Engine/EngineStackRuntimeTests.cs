using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Reconcile;
using Appliance.TestSupport;
using Appliance.TestSupport.Registry;

namespace Appliance.Integration.Tests.Engine;

[Collection(RegistryFixture.Collection)]
public sealed class EngineStackRuntimeTests(RegistryFixture fixture)
{
    [Fact]
    public async Task DaemonSeam_UpInspectRestartExecDown_DrivesTheRealEngine()
    {
        await using EngineTestBed bed = await EngineTestBed.CreateAsync();
        var seam = new EngineStackRuntime(bed.Engine, bed.Box.TempDir);
        const string file = """
            name: seam
            services:
              web:
                image: ${REGISTRY}/busybox:latest
                command: ["sh", "-c", "echo up >> /data/starts; exec sleep 600"]
                volumes: [data:/data]
            volumes:
              data:
            """;
        var deployment = new StackDeployment("seam", 1, file, new Dictionary<string, string> { ["REGISTRY"] = fixture.Registry.Host });

        await seam.UpAsync(deployment);
        await seam.UpAsync(deployment); // already up and unchanged: left alone
        StackObservation observed = await seam.InspectAsync("seam");
        await seam.RestartServiceAsync("seam", "web");
        Orchestrator.Reconcile.ExecResult starts = default!;
        await Poll.UntilAsync(async () => (starts = await seam.ExecAsync("seam", "web", ["cat", "/data/starts"], TimeSpan.FromSeconds(10))).Output == "up\nup",
            TimeSpan.FromSeconds(20), () => $"restart did not run it again: {starts?.Output}");
        StackObservation restarted = await seam.InspectAsync("seam");
        await seam.DownAsync("seam", removeVolumes: true);
        StackObservation gone = await seam.InspectAsync("seam");

        Assert.True(observed.AllRunning);
        Assert.Equal("web", Assert.Single(observed.Services).Service);
        // When the current run started: restart policies measure a run by it (backoff reset), health checks start over with it.
        DateTimeOffset? first = observed.Services[0].StartedAt, second = Assert.Single(restarted.Services).StartedAt;
        Assert.NotNull(first);
        Assert.InRange(first!.Value, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow);
        Assert.True(second > first, $"StartedAt after the restart {second:O} is not later than before it {first:O}");
        Assert.Empty(gone.Services);
        Assert.Empty(await seam.ListStacksAsync());
    }
}
