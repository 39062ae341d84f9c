using System.Net;
using Appliance.Netfilter.Backends;
using Appliance.Netfilter.Intent;
using Appliance.Orchestrator.Firewall;

namespace Appliance.Orchestrator.Tests.Firewall;

public sealed class FirewallCoordinatorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("appliance-fwcoord-").FullName;

    /// <summary>Records what it was asked to apply; fails on demand (a kernel refusing the change).</summary>
    private sealed class RecordingBackend : IFirewallBackend
    {
        public List<FirewallIntent> Applied { get; } = new();

        public bool FailNext { get; set; }

        public string Name => "recording";

        public Task<FirewallApplyResult> ApplyAsync(FirewallIntent intent, CancellationToken cancellationToken = default)
        {
            if (FailNext)
            {
                FailNext = false;
                throw new InvalidOperationException("kernel said no");
            }
            Applied.Add(intent);
            return Task.FromResult(new FirewallApplyResult { Incremental = false, Commands = 1 });
        }

        public Task ConfirmAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task RemoveAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private static StackNetwork Stack(string name, int third) => new()
    {
        Name = name,
        Bridge = "ap-" + name,
        Subnet = IPNetwork.Parse($"10.88.{third}.0/24"),
        ContainerAddresses = [IPAddress.Parse($"10.88.{third}.2")],
        PublishedPorts =
        [
            new PublishedPort
            {
                HostPort = 10000 + third, ContainerAddress = IPAddress.Parse($"10.88.{third}.2"), ContainerPort = 80,
                Exposure = Exposure.FromSources(IPNetwork.Parse("192.168.50.0/24")),
            },
            new PublishedPort
            {
                HostAddress = IPAddress.Loopback, HostPort = 20000 + third, ContainerAddress = IPAddress.Parse($"10.88.{third}.2"),
                ContainerPort = 53, Protocol = TransportProtocol.Udp, Exposure = Exposure.HostOnly,
            },
        ],
    };

    [Fact]
    public async Task Restore_AfterRestart_ReappliesOnlyStacksStillDeployed()
    {
        string file = Path.Combine(_dir, "stacks.json");
        var first = new RecordingBackend();
        await using (var before = new FirewallCoordinator(first, FirewallIntent.Empty, file))
        {
            await before.SetStackAsync(Stack("gitlab", 1));
            await before.SetStackAsync(Stack("wiki", 2));
        }

        var second = new RecordingBackend();
        await using var after = new FirewallCoordinator(second, FirewallIntent.Empty, file);
        await after.RestoreAsync(["gitlab"]);

        StackNetwork restored = Assert.Single(Assert.Single(second.Applied).Stacks);
        Assert.Equal("gitlab", restored.Name);
        Assert.Equal(Stack("gitlab", 1).PublishedPorts, restored.PublishedPorts);
        Assert.Equal(IPNetwork.Parse("10.88.1.0/24"), restored.Subnet);
    }

    [Fact]
    public async Task Change_BackendRefuses_PreviousIntentStays()
    {
        var backend = new RecordingBackend();
        await using var coordinator = new FirewallCoordinator(backend, FirewallIntent.Empty, Path.Combine(_dir, "stacks.json"));
        await coordinator.SetStackAsync(Stack("gitlab", 1));

        backend.FailNext = true;
        await Assert.ThrowsAsync<InvalidOperationException>(() => coordinator.SetStackAsync(Stack("wiki", 2)));

        Assert.Equal(["gitlab"], coordinator.Intent.Stacks.Select(s => s.Name));
        await coordinator.RemoveStackAsync("gitlab");
        Assert.Empty(backend.Applied[^1].Stacks);
    }

    [Fact]
    public async Task Restore_DamagedFile_SaysWhichFileAndHowToFix()
    {
        string file = Path.Combine(_dir, "stacks.json");
        await File.WriteAllTextAsync(file, "{ not json");
        await using var coordinator = new FirewallCoordinator(new RecordingBackend(), FirewallIntent.Empty, file);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => coordinator.RestoreAsync(["gitlab"]));

        Assert.Contains(file, error.Message);
        Assert.Contains("redeploy", error.Message);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
