using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Netfilter.Intent;

namespace Appliance.Orchestrator.Firewall;

/// <summary>
/// The stacks' part of the firewall intent on disk (STATE/firewall/stacks.json), written after
/// every successful apply, so a restarted daemon re-applies the rules of the stacks that kept
/// running without reloading their stack files. Plain strings on the wire, one mapping here.
/// </summary>
internal static partial class StackNetworkFile
{
    private sealed record StoredPort(string? HostAddress, int HostPort, string ContainerAddress, int ContainerPort,
        TransportProtocol Protocol, ExposureKind Exposure, string[] Sources);

    private sealed record StoredStack(string Name, string Bridge, string Subnet, string[] Addresses, StoredPort[] Ports, bool EgressAllowed);

    [JsonSourceGenerationOptions(WriteIndented = true)]
    [JsonSerializable(typeof(StoredStack[]))]
    private sealed partial class StackNetworkJson : JsonSerializerContext;

    public static void Save(string path, IEnumerable<StackNetwork> stacks)
    {
        StoredStack[] stored = stacks.Select(s => new StoredStack(s.Name, s.Bridge, s.Subnet.ToString(),
            s.ContainerAddresses.Select(a => a.ToString()).ToArray(),
            s.PublishedPorts.Select(p => new StoredPort(p.HostAddress?.ToString(), p.HostPort, p.ContainerAddress.ToString(), p.ContainerPort,
                p.Protocol, p.Exposure.Kind, p.Exposure.Sources.Select(n => n.ToString()).ToArray())).ToArray(),
            s.EgressAllowed)).ToArray();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(stored, StackNetworkJson.Default.StoredStackArray));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>The stored stacks; none when the file is missing. A damaged file is an error naming it.</summary>
    public static IReadOnlyList<StackNetwork> Load(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        try
        {
            StoredStack[] stored = JsonSerializer.Deserialize(File.ReadAllText(path), StackNetworkJson.Default.StoredStackArray) ?? [];
            return stored.Select(s => new StackNetwork
            {
                Name = s.Name,
                Bridge = s.Bridge,
                Subnet = IPNetwork.Parse(s.Subnet),
                ContainerAddresses = s.Addresses.Select(IPAddress.Parse).ToList(),
                EgressAllowed = s.EgressAllowed,
                PublishedPorts = s.Ports.Select(p => new PublishedPort
                {
                    HostAddress = p.HostAddress is null ? null : IPAddress.Parse(p.HostAddress),
                    HostPort = p.HostPort,
                    ContainerAddress = IPAddress.Parse(p.ContainerAddress),
                    ContainerPort = p.ContainerPort,
                    Protocol = p.Protocol,
                    Exposure = p.Exposure switch
                    {
                        ExposureKind.HostOnly => Exposure.HostOnly,
                        ExposureKind.Internet => Exposure.Internet,
                        ExposureKind.Sources => Exposure.FromSources(p.Sources.Select(IPNetwork.Parse)),
                        _ => Exposure.Lan,
                    },
                }).ToList(),
            }).ToList();
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException or NullReferenceException)
        {
            throw new InvalidOperationException(
                $"{path}: the stored firewall rules of the stacks cannot be read ({e.Message}); delete the file and redeploy the stacks to write it again", e);
        }
    }
}
