namespace Appliance.Orchestrator.Images;

public sealed partial class ImageStore
{
    public Task<Rootfs> CreateRootfsAsync(Image image, string containerDir, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var rootfs = new Rootfs(containerDir, Path.Combine(containerDir, "rootfs"), Path.Combine(containerDir, "upper"), Path.Combine(containerDir, "work"));
        foreach (ImageLayer layer in image.Layers)
        {
            if (!IsLayerPresent(layer))
            {
                throw new ImageStorageException($"layer {layer.Digest} of image {image.Id} is not in the store ({layer.Directory}); pull {image.References.FirstOrDefault() ?? image.Id} again");
            }
        }
        foreach (ImageLayer layer in image.Layers)
        {
            try
            {
                EnsureLayerMounted(layer);
            }
            catch (ImageStorageException e)
            {
                throw new ImageStorageException($"image {image.Id}: {e.Message}; pull {image.References.FirstOrDefault() ?? image.Id} again", e.Errno, e);
            }
        }
        Directory.CreateDirectory(rootfs.Path);
        Directory.CreateDirectory(rootfs.UpperDir);
        Directory.CreateDirectory(rootfs.WorkDir);
        // overlayfs wants the top layer first; an image without layers gets one empty lower dir.
        IEnumerable<string> lowers = image.Layers.Select(l => l.Directory).Reverse();
        if (image.Layers.Count == 0)
        {
            string empty = Path.Combine(containerDir, "empty");
            Directory.CreateDirectory(empty);
            lowers = [empty];
        }
        string options = $"lowerdir={string.Join(':', lowers.Select(EscapeOverlayPath))},upperdir={EscapeOverlayPath(rootfs.UpperDir)},workdir={EscapeOverlayPath(rootfs.WorkDir)}";
        if (options.Length >= 4096)
        {
            throw new ImageStorageException($"image {image.Id} has {image.Layers.Count} layers: the overlay mount options ({options.Length} bytes) exceed the kernel's page size; move the store to a shorter path");
        }
        NativeFiles.MountOverlay(rootfs.Path, options);
        Log.Mounted(_log, rootfs.Path, image.Layers.Count, image.Id);
        return Task.FromResult(rootfs);
    }

    public Task RemoveRootfsAsync(string containerDir, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var failures = new List<string>();
        string path = Path.Combine(containerDir, "rootfs");
        try
        {
            NativeFiles.Unmount(path);
        }
        catch (ImageStorageException e)
        {
            failures.Add(e.Message);
        }
        foreach (string dir in new[] { "rootfs", "upper", "work", "empty" }.Select(d => Path.Combine(containerDir, d)))
        {
            try
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failures.Add($"delete '{dir}': {e.Message}");
            }
        }
        if (failures.Count > 0)
        {
            throw new ImageStorageException($"removing the root filesystem in '{containerDir}' left problems: {string.Join("; ", failures)}");
        }
        return Task.CompletedTask;
    }

    /// <summary>overlayfs splits its options on ',' and lower dirs on ':'; escape both (and '\').</summary>
    private static string EscapeOverlayPath(string path) =>
        path.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(":", "\\:", StringComparison.Ordinal).Replace(",", "\\,", StringComparison.Ordinal);
}
