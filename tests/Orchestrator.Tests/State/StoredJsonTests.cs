using System.Collections.Immutable;
using System.Net;
using System.Text.Json;
using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Networking;

namespace Appliance.Orchestrator.Tests.State;

/// <summary>
/// The engine's files are written by build-time generated serializers (OrchestratorJson and the contexts beside the
/// files' types), no longer by reflection. A box keeps files written by every earlier version, so the format must not
/// move: what is written now is what reflection wrote, and a file as earlier versions wrote it still loads.
/// </summary>
public sealed class StoredJsonTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private EngineOptions Options => new() { StateDirectory = _dir.Path, RunDirectory = Path.Combine(_dir.Path, "run") };

    [Fact]
    public void DeployedStack_IsWrittenAsReflectionWroteIt_AndReadBack()
    {
        var stack = new DeployedStack("gitlab", "/srv/stacks/gitlab.yaml",
            [
                new DeployedService("db", "ap-gitlab-db", "127.0.0.1:5000/postgres:16", "10.88.1.2", [], 30),
                new DeployedService("web", "ap-gitlab-web", "127.0.0.1:5000/gitlab:17", "10.88.1.3", ["db"], 10.5, "SIGQUIT"),
            ],
            ["gitlab_data"]);

        stack.Save(Options);

        string written = File.ReadAllText(DeployedStack.PathFor(Options, "gitlab"));
        var reflection = new JsonSerializerOptions { WriteIndented = true };
        Assert.Equal(JsonSerializer.Serialize(stack, reflection), written);
        DeployedStack read = DeployedStack.Load(Options, "gitlab")!;
        Assert.Equal(["db"], read.Services[1].DependsOn);
        Assert.Equal(written, JsonSerializer.Serialize(read, reflection));
    }

    [Fact]
    public void DeployedStack_WrittenBeforeTheStopSignalWasKept_LoadsWithNone()
    {
        string path = DeployedStack.PathFor(Options, "old");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, """
            {
              "Name": "old",
              "File": "/srv/old.yaml",
              "Services": [ { "Name": "app", "ContainerId": "ap-old-app", "Image": "img", "Address": "10.88.2.2", "DependsOn": [], "StopGraceSeconds": 10 } ],
              "Volumes": []
            }
            """);

        DeployedService app = Assert.Single(DeployedStack.Load(Options, "old")!.Services);

        Assert.Equal(("ap-old-app", 10.0, null), (app.ContainerId, app.StopGraceSeconds, app.StopSignal));
    }

    [Fact]
    public void IpamFile_KeepsItsFormat()
    {
        var state = new IpamState(ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [
            KeyValuePair.Create("gitlab", new StackSubnet("gitlab", IPNetwork.Parse("10.88.1.0/24"),
                ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("db", IPAddress.Parse("10.88.1.2"))]))),
        ]));

        IpamFile.Save(Options, state);

        Assert.Equal("""{"gitlab":{"Subnet":"10.88.1.0/24","Addresses":{"db":"10.88.1.2"}}}""",
            File.ReadAllText(Path.Combine(Options.EngineDirectory, "ipam.json")));
        StackSubnet read = IpamFile.Load(Options).Stacks["gitlab"];
        Assert.Equal((IPNetwork.Parse("10.88.1.0/24"), IPAddress.Parse("10.88.1.2")), (read.Subnet, read.Addresses["db"]));
    }
}
