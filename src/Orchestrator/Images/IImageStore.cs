namespace Appliance.Orchestrator.Images;

/// <summary>
/// Images pulled from OCI registries, kept by digest and unpacked once, and the copy-on-write
/// root filesystems of containers built from them.
/// </summary>
public interface IImageStore
{
    /// <summary>
    /// Pulls <paramref name="reference"/> ("postgres:15", "127.0.0.1:5000/app@sha256:…"): only what the store
    /// lacks is downloaded; layers are verified and unpacked as they stream.
    /// </summary>
    Task<Image> PullAsync(string reference, IProgress<LayerProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>The same pull, with its progress as a stream (<see cref="ImagePull.Progress"/>).</summary>
    ImagePull StartPull(string reference, CancellationToken cancellationToken = default);

    /// <summary>An image by reference ("redis", "127.0.0.1:5000/redis:latest", "…@sha256:…") or id (full or 12+ hex digits); null if not in the store.</summary>
    Task<Image?> FindAsync(string referenceOrId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Image>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes a reference (or, given an id, the image with all its references), then collects garbage.</summary>
    Task RemoveAsync(string referenceOrId, CancellationToken cancellationToken = default);

    /// <summary>Deletes blobs and unpacked layers no image refers to (layers in a mounted root filesystem are kept).</summary>
    Task<GarbageCollection> CollectGarbageAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Mounts an overlay root filesystem for a container at <c>containerDir/rootfs</c>: the image's layers as
    /// lower dirs, <c>containerDir/upper</c> and <c>containerDir/work</c> its own. Layers are shared, never copied.
    /// </summary>
    Task<Rootfs> CreateRootfsAsync(Image image, string containerDir, CancellationToken cancellationToken = default);

    /// <summary>Unmounts <c>containerDir/rootfs</c> and deletes rootfs, upper and work (the container's changes).</summary>
    Task RemoveRootfsAsync(string containerDir, CancellationToken cancellationToken = default);
}
