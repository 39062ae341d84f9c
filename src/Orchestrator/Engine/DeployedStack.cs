using System.Collections.Immutable;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Orchestrator.Networking;

namespace Appliance.Orchestrator.Engine;

/// <summary>What `up` created for a stack, saved as STATE/engine/stacks/NAME.json so `down`, `ps` and `logs` work from any process.</summary>
internal sealed partial record DeployedStack(string Name, string File, IReadOnlyList<DeployedService> Services, IReadOnlyList<string> Volumes)
{
    [JsonSourceGenerationOptions(WriteIndented = true)]
    [JsonSerializable(typeof(DeployedStack))]
    private sealed partial class DeployedStackJson : JsonSerializerContext;

    public static string PathFor(EngineOptions options, string name) => Path.Combine(options.EngineDirectory, "stacks", name + ".json");

    /// <summary>
    /// Files read before, by path: a health check reads its stack's file twice and the periodic pass every stack's, and
    /// parsing them again each time was ~5 % of the daemon's CPU under checks. An entry holds while the file's write time
    /// and length are unchanged (a save is a rename of a new file over it) and is dropped by this process's own saves.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTime Written, long Length, DeployedStack Stack)> Cache =
        new(StringComparer.Ordinal);

    public static DeployedStack? Load(EngineOptions options, string name) => Read(PathFor(options, name));

    public static IReadOnlyList<DeployedStack> LoadAll(EngineOptions options)
    {
        string dir = Path.Combine(options.EngineDirectory, "stacks");
        return Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, "*.json").Order(StringComparer.Ordinal).Select(Read).OfType<DeployedStack>().ToList()
            : [];
    }

    private static DeployedStack? Read(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            Cache.TryRemove(path, out _);
            return null;
        }
        if (Cache.TryGetValue(path, out var known) && known.Written == file.LastWriteTimeUtc && known.Length == file.Length)
        {
            return known.Stack;
        }
        DeployedStack stack = JsonSerializer.Deserialize(System.IO.File.ReadAllText(path), DeployedStackJson.Default.DeployedStack)!;
        Cache[path] = (file.LastWriteTimeUtc, file.Length, stack);
        return stack;
    }

    public void Save(EngineOptions options)
    {
        string path = PathFor(options, Name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(this, DeployedStackJson.Default.DeployedStack));
        Cache.TryRemove(path, out _);
        System.IO.File.Move(path + ".tmp", path, overwrite: true);
    }

    public static void Delete(EngineOptions options, string name)
    {
        string path = PathFor(options, name);
        Cache.TryRemove(path, out _);
        System.IO.File.Delete(path);
    }
}

/// <summary>One service of a <see cref="DeployedStack"/>.</summary>
/// <param name="StopSignal">The service's <c>stop_signal</c>; null (files written before it was kept) means SIGTERM.</param>
internal sealed record DeployedService(string Name, string ContainerId, string Image, string Address, IReadOnlyList<string> DependsOn, double StopGraceSeconds,
    string? StopSignal = null);

/// <summary>The IPAM allocations on disk (STATE/engine/ipam.json), so a redeploy keeps subnets and addresses.</summary>
internal static partial class IpamFile
{
    private sealed record Entry(string Subnet, Dictionary<string, string> Addresses);

    [JsonSerializable(typeof(Dictionary<string, Entry>))]
    private sealed partial class IpamJson : JsonSerializerContext;

    public static IpamState Load(EngineOptions options)
    {
        string path = Path.Combine(options.EngineDirectory, "ipam.json");
        if (!System.IO.File.Exists(path))
        {
            return IpamState.Empty;
        }
        var entries = JsonSerializer.Deserialize(System.IO.File.ReadAllText(path), IpamJson.Default.DictionaryStringEntry) ?? new();
        var stacks = entries.ToDictionary(
            e => e.Key,
            e => new StackSubnet(e.Key, IPNetwork.Parse(e.Value.Subnet),
                e.Value.Addresses.ToDictionary(a => a.Key, a => IPAddress.Parse(a.Value))
                    .ToImmutableSortedDictionary(StringComparer.Ordinal)));
        return new IpamState(stacks.ToImmutableSortedDictionary(StringComparer.Ordinal));
    }

    public static void Save(EngineOptions options, IpamState state)
    {
        Directory.CreateDirectory(options.EngineDirectory);
        string path = Path.Combine(options.EngineDirectory, "ipam.json");
        var entries = state.Stacks.ToDictionary(
            s => s.Key,
            s => new Entry(s.Value.Subnet.ToString(), s.Value.Addresses.ToDictionary(a => a.Key, a => a.Value.ToString())));
        System.IO.File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(entries, IpamJson.Default.DictionaryStringEntry));
        System.IO.File.Move(path + ".tmp", path, overwrite: true);
    }
}
