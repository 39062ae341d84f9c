using Appliance.Orchestrator.Images.Erofs;

namespace Appliance.Orchestrator.Images;

public sealed partial class ImageStore
{
    /// <summary>statfs f_type of an EROFS mount.</summary>
    private const long ErofsMagic = ErofsImageWriter.Magic;

    private readonly Lock _mountLock = new();
    private bool? _erofs;

    /// <summary>
    /// A layer kept as an EROFS image: the file <c>layers/HEX.erofs</c>, mounted read-only on <c>layers/HEX</c> (the
    /// overlay's lower dir). A layer without that file was unpacked into <c>layers/HEX</c> itself (on a kernel that
    /// cannot mount an image file, and by the store's earlier versions); both kinds live side by side.
    /// </summary>
    internal static string LayerImagePath(ImageLayer layer) => layer.Directory + ".erofs";

    internal static bool IsLayerPresent(ImageLayer layer) => File.Exists(LayerImagePath(layer)) || Directory.Exists(layer.Directory);

    /// <summary>Mounts a layer's EROFS image on its directory unless it is mounted (after a reboot it is not); an unpacked layer needs nothing.</summary>
    internal void EnsureLayerMounted(ImageLayer layer)
    {
        string image = LayerImagePath(layer);
        if (!File.Exists(image))
        {
            return;
        }
        lock (_mountLock)
        {
            Directory.CreateDirectory(layer.Directory);
            if (NativeFiles.FileSystemType(layer.Directory) == ErofsMagic)
            {
                return;
            }
            try
            {
                NativeFiles.MountErofs(image, layer.Directory);
            }
            catch (ImageStorageException e) when (e.Errno is 22 /* EINVAL */ or 117 /* EUCLEAN: corrupted */ or 5 /* EIO */)
            {
                // A damaged image (say, cut short by a power loss) would stay "present" for ever: it goes, so a pull fetches it again.
                Directory.Delete(layer.Directory);
                File.Delete(image);
                throw new ImageStorageException($"layer {layer.Digest} was damaged and has been removed from the store ({e.Message})", e.Errno, e);
            }
        }
    }

    /// <summary>How a layer being pulled is stored: as an EROFS image when the kernel mounts one from a file (probed once), else unpacked.</summary>
    private bool StoresErofs()
    {
        if (_options.LayerFormat != LayerFormat.Auto)
        {
            return _options.LayerFormat == LayerFormat.Erofs;
        }
        lock (_mountLock)
        {
            return _erofs ??= ProbeErofs();
        }
    }

    /// <summary>Builds an empty image and mounts it: EROFS must be in the kernel, which must read images from files (Linux 6.12+).</summary>
    private bool ProbeErofs()
    {
        string probe = Path.Combine(TempDir, $"erofs-probe.{Guid.NewGuid():N}");
        string image = probe + ".erofs";
        try
        {
            using (var writer = new ErofsImageWriter(image, DateTimeOffset.UtcNow))
            {
                writer.Finish();
            }
            Directory.CreateDirectory(probe);
            NativeFiles.MountErofs(image, probe);
            NativeFiles.Unmount(probe);
            return true;
        }
        catch (ImageStorageException e)
        {
            Log.LayersUnpacked(_log, e.Message);
            return false;
        }
        finally
        {
            DeleteQuietly(probe);
            DeleteQuietly(image);
        }
    }

    /// <summary>The hex names of the layers in the store, of either kind.</summary>
    private IEnumerable<string> StoredLayers() =>
        Directory.EnumerateDirectories(LayersDir).Select(Path.GetFileName)
            .Concat(Directory.EnumerateFiles(LayersDir, "*.erofs").Select(Path.GetFileNameWithoutExtension))
            .Distinct(StringComparer.Ordinal)!;

    /// <summary>Deletes a layer: an image is unmounted first and its empty mount point goes before the file.</summary>
    private void DeleteLayer(string hex)
    {
        string directory = Path.Combine(LayersDir, hex);
        string image = directory + ".erofs";
        if (!File.Exists(image))
        {
            Directory.Delete(directory, recursive: true);
            return;
        }
        lock (_mountLock)
        {
            if (Directory.Exists(directory))
            {
                NativeFiles.Unmount(directory);
                Directory.Delete(directory);
            }
            File.Delete(image);
        }
    }
}
