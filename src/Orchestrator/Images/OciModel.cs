using System.Text.Json.Serialization;

namespace Appliance.Orchestrator.Images;

// Wire shapes of the OCI image spec (and Docker schema 2, which has the same fields).

internal sealed record OciDescriptor
{
    [JsonPropertyName("mediaType")] public string MediaType { get; init; } = "";
    [JsonPropertyName("digest")] public string Digest { get; init; } = "";
    [JsonPropertyName("size")] public long Size { get; init; }
    [JsonPropertyName("platform")] public OciPlatform? Platform { get; init; }
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; init; }
}

internal sealed record OciPlatform
{
    [JsonPropertyName("architecture")] public string Architecture { get; init; } = "";
    [JsonPropertyName("os")] public string Os { get; init; } = "";
    [JsonPropertyName("variant")] public string? Variant { get; init; }

    public override string ToString() => $"{Os}/{Architecture}{(Variant is null ? "" : "/" + Variant)}";
}

/// <summary>An image manifest or an index (manifest list): which one is told by mediaType / the fields present.</summary>
internal sealed record OciManifestOrIndex
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; init; }
    [JsonPropertyName("mediaType")] public string? MediaType { get; init; }
    [JsonPropertyName("config")] public OciDescriptor? Config { get; init; }
    [JsonPropertyName("layers")] public List<OciDescriptor>? Layers { get; init; }
    [JsonPropertyName("manifests")] public List<OciDescriptor>? Manifests { get; init; }
}

internal sealed record OciImageConfigFile
{
    [JsonPropertyName("architecture")] public string? Architecture { get; init; }
    [JsonPropertyName("os")] public string? Os { get; init; }
    [JsonPropertyName("config")] public OciContainerConfig? Config { get; init; }
    [JsonPropertyName("rootfs")] public OciRootfs? Rootfs { get; init; }
}

internal sealed record OciContainerConfig
{
    [JsonPropertyName("Entrypoint")] public List<string>? Entrypoint { get; init; }
    [JsonPropertyName("Cmd")] public List<string>? Cmd { get; init; }
    [JsonPropertyName("Env")] public List<string>? Env { get; init; }
    [JsonPropertyName("User")] public string? User { get; init; }
    [JsonPropertyName("WorkingDir")] public string? WorkingDir { get; init; }
    [JsonPropertyName("ExposedPorts")] public Dictionary<string, object>? ExposedPorts { get; init; }
    [JsonPropertyName("Labels")] public Dictionary<string, string>? Labels { get; init; }
    [JsonPropertyName("StopSignal")] public string? StopSignal { get; init; }
}

internal sealed record OciRootfs
{
    [JsonPropertyName("type")] public string Type { get; init; } = "";
    [JsonPropertyName("diff_ids")] public List<string> DiffIds { get; init; } = new();
}
