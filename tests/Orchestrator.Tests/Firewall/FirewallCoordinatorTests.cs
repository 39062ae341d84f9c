using System.Collections.Immutable;
using System.Net;
using Appliance.Netfilter.Backends;
using Appliance.Netfilter.Intent;
using Appliance.Orchestrator.Firewall;
using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Stacks;
using Exposure = Appliance.Netfilter.Intent.Exposure;
using PublishedPort = Appliance.Netfilter.Intent.PublishedPort;
using StackNetwork = Appliance.Netfilter.Intent.StackNetwork;

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

    private static (Appliance.Orchestrator.Stacks.Resolved.ResolvedStack Stack, StackSubnet Subnet) Web()
    {
        StackLoadResult loaded = StackLoader.LoadFromText("name: web\nservices:\n  web:\n    image: nginx\n    ports: [\"10080:80\"]\n", "web/stack.yaml");
        var subnet = new StackSubnet("web", IPNetwork.Parse("10.88.5.0/24"),
            new Dictionary<string, IPAddress> { ["web"] = IPAddress.Parse("10.88.5.2") }.ToImmutableSortedDictionary(StringComparer.Ordinal));
        return (loaded.Stack!, subnet);
    }

    private static Exposure PortExposure(FirewallIntent intent) => Assert.Single(Assert.Single(intent.Stacks).PublishedPorts).Exposure;

    [Fact]
    public async Task SetExposure_Unconfirmed_RollsBackAtTheDeadline()
    {
        var backend = new RecordingBackend();
        await using var coordinator = new FirewallCoordinator(backend, FirewallIntent.Empty, Path.Combine(_dir, "stacks.json"), TimeSpan.FromMilliseconds(300));
        (var stack, StackSubnet subnet) = Web();
        await coordinator.OpenAsync(stack, subnet);
        var rolledBack = new TaskCompletionSource<ExposureChange>();
        coordinator.ExposureRolledBack += c => rolledBack.TrySetResult(c);

        ExposureChange? change = await coordinator.SetExposureAsync("web", 10080, TransportProtocol.Tcp, Exposure.HostOnly);

        Assert.NotNull(change);
        Assert.Equal(Exposure.HostOnly, PortExposure(backend.Applied[^1]));
        Assert.Equal(change, Assert.Single(coordinator.PendingExposureChanges));
        Assert.Equal(change.Id, (await rolledBack.Task.WaitAsync(TimeSpan.FromSeconds(10))).Id);
        Assert.Equal(Exposure.Lan, PortExposure(backend.Applied[^1]));
        Assert.Empty(coordinator.PendingExposureChanges);
        Assert.False(await coordinator.ConfirmExposureAsync(change.Id));
    }

    [Fact]
    public async Task SetExposure_Confirmed_SurvivesRestartAndRedeploy()
    {
        string file = Path.Combine(_dir, "stacks.json");
        (var stack, StackSubnet subnet) = Web();
        await using (var before = new FirewallCoordinator(new RecordingBackend(), FirewallIntent.Empty, file, TimeSpan.FromSeconds(30)))
        {
            await before.OpenAsync(stack, subnet);
            ExposureChange change = (await before.SetExposureAsync("web", 10080, TransportProtocol.Tcp, Exposure.Internet))!;
            Assert.True(await before.ConfirmExposureAsync(change.Id));
        }

        var backend = new RecordingBackend();
        await using var after = new FirewallCoordinator(backend, FirewallIntent.Empty, file, TimeSpan.FromSeconds(30));
        await after.RestoreAsync(["web"]);
        Assert.Equal(Exposure.Internet, PortExposure(backend.Applied[^1]));
        await after.CloseAsync("web");
        await after.OpenAsync(stack, subnet); // a redeploy: the stack file says lan, the owner's choice wins
        Assert.Equal(Exposure.Internet, PortExposure(backend.Applied[^1]));
        Assert.Empty(after.PendingExposureChanges);
    }

    [Fact]
    public async Task SetExposure_PendingWhenTheDaemonStopped_IsRolledBackAtRestartAfterTheDeadline()
    {
        string file = Path.Combine(_dir, "stacks.json");
        (var stack, StackSubnet subnet) = Web();
        var before = new FirewallCoordinator(new RecordingBackend(), FirewallIntent.Empty, file, TimeSpan.FromMilliseconds(500));
        await before.OpenAsync(stack, subnet);
        ExposureChange change = (await before.SetExposureAsync("web", 10080, TransportProtocol.Tcp, Exposure.Internet))!;
        await before.DisposeAsync(); // "the daemon died" before its timer ran
        Assert.Single(before.PendingExposureChanges);
        // What is tested is a restart after the deadline: wait until it has passed (a stated time, not luck).
        await Task.Delay(change.Deadline - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(20));

        var backend = new RecordingBackend();
        await using var after = new FirewallCoordinator(backend, FirewallIntent.Empty, file);
        await after.RestoreAsync(["web"]);

        Assert.Equal(Exposure.Lan, PortExposure(backend.Applied[^1]));
        Assert.Empty(after.PendingExposureChanges);
    }

    [Fact]
    public async Task SetExposure_UnknownPortOrStoppedStack_SaysWhatToDo()
    {
        await using var coordinator = new FirewallCoordinator(new RecordingBackend(), FirewallIntent.Empty);
        (var stack, StackSubnet subnet) = Web();
        var stopped = await Assert.ThrowsAsync<InvalidOperationException>(() => coordinator.SetExposureAsync("web", 10080, TransportProtocol.Tcp, Exposure.Lan));
        Assert.Contains("start it", stopped.Message);
        await coordinator.OpenAsync(stack, subnet);
        var unknown = await Assert.ThrowsAsync<InvalidOperationException>(() => coordinator.SetExposureAsync("web", 9999, TransportProtocol.Tcp, Exposure.Lan));
        Assert.Contains("10080/tcp", unknown.Message);
        Assert.Null(await coordinator.SetExposureAsync("web", 10080, TransportProtocol.Tcp, Exposure.Lan));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
