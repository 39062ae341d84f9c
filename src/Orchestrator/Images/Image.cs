namespace Appliance.Orchestrator.Images;

/// <summary>
/// An image in the store. <see cref="Id"/> is the config digest (as Docker's image id);
/// <see cref="Layers"/> go from the bottom layer to the top one, each unpacked in its own
/// directory (the lowerdirs of a container's overlay root filesystem).
/// </summary>
public sealed record Image
{
    public required string Id { get; init; }

    /// <summary>Canonical references that name this image, e.g. "127.0.0.1:5000/gitlab-probe:latest".</summary>
    public required IReadOnlyList<string> References { get; init; }

    /// <summary>Digest of the platform manifest that was pulled (what "@sha256:…" pins).</summary>
    public required string ManifestDigest { get; init; }

    public required ImageConfig Config { get; init; }

    public required IReadOnlyList<ImageLayer> Layers { get; init; }

    /// <summary>Sum of the compressed layer sizes.</summary>
    public long Size => Layers.Sum(l => l.Size);

    public DateTimeOffset PulledAt { get; init; }
}
