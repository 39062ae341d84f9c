using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Netfilter.Intent;

namespace Appliance.Orchestrator.Firewall;

/// <summary>
/// The owner's exposure choices on disk (STATE/firewall/exposure.json): per stack and published
/// port, the exposure that replaces the stack file's (kept across restarts and redeploys), and the
/// changes still waiting for their confirm (with what to go back to). Plain strings on the wire.
/// </summary>
internal static partial class ExposureFile
{
    public readonly record struct PortKey(string Stack, int HostPort, TransportProtocol Protocol);

    private sealed record StoredExposure(ExposureKind Kind, string[] Sources);

    private sealed record StoredOverride(string Stack, int HostPort, TransportProtocol Protocol, StoredExposure Exposure);

    private sealed record StoredChange(string Id, string Stack, int HostPort, TransportProtocol Protocol, StoredExposure Previous,
        StoredExposure? PreviousOverride, StoredExposure Next, DateTimeOffset Deadline);

    private sealed record Stored(StoredOverride[] Overrides, StoredChange[] Pending);

    [JsonSourceGenerationOptions(WriteIndented = true)]
    [JsonSerializable(typeof(Stored))]
    private sealed partial class ExposureJson : JsonSerializerContext;

    public static void Save(string path, IReadOnlyDictionary<PortKey, Exposure> overrides, IEnumerable<ExposureChange> pending)
    {
        var stored = new Stored(
            [.. overrides.Select(o => new StoredOverride(o.Key.Stack, o.Key.HostPort, o.Key.Protocol, ToStored(o.Value)))],
            [.. pending.Select(c => new StoredChange(c.Id, c.Stack, c.HostPort, c.Protocol, ToStored(c.Previous),
                c.PreviousOverride is null ? null : ToStored(c.PreviousOverride), ToStored(c.Next), c.Deadline))]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(stored, ExposureJson.Default.Stored));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>The stored choices; none when the file is missing. A damaged file is an error naming it.</summary>
    public static (Dictionary<PortKey, Exposure> Overrides, List<ExposureChange> Pending) Load(string path)
    {
        if (!File.Exists(path))
        {
            return ([], []);
        }
        try
        {
            Stored stored = JsonSerializer.Deserialize(File.ReadAllText(path), ExposureJson.Default.Stored) ?? new Stored([], []);
            return (stored.Overrides.ToDictionary(o => new PortKey(o.Stack, o.HostPort, o.Protocol), o => FromStored(o.Exposure)),
                [.. stored.Pending.Select(c => new ExposureChange(c.Id, c.Stack, c.HostPort, c.Protocol, FromStored(c.Previous),
                    c.PreviousOverride is null ? null : FromStored(c.PreviousOverride), FromStored(c.Next), c.Deadline))]);
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException or NullReferenceException)
        {
            throw new InvalidOperationException(
                $"{path}: the owner's exposure choices cannot be read ({e.Message}); delete the file (the stack files' exposures then apply) and set them again", e);
        }
    }

    private static StoredExposure ToStored(Exposure e) => new(e.Kind, [.. e.Sources.Select(s => s.ToString())]);

    private static Exposure FromStored(StoredExposure e) => e.Kind switch
    {
        ExposureKind.HostOnly => Exposure.HostOnly,
        ExposureKind.Internet => Exposure.Internet,
        ExposureKind.Sources => Exposure.FromSources(e.Sources.Select(IPNetwork.Parse)),
        _ => Exposure.Lan,
    };
}
