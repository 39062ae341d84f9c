namespace Appliance.Orchestrator.Images;

public sealed partial class ImageStore
{
    public async Task<GarbageCollection> CollectGarbageAsync(CancellationToken cancellationToken = default)
    {
        StoreLock storeLock = await LockAsync(cancellationToken);
        try
        {
            int images = 0, blobs = 0, layers = 0;
            long bytes = 0;
            var keepBlobs = new HashSet<string>(StringComparer.Ordinal);
            var keepLayers = new HashSet<string>(StringComparer.Ordinal);
            foreach (Image image in await ListAsync(cancellationToken))
            {
                if (image.References.Count == 0)
                {
                    File.Delete(ImagePath(image.Id));
                    images++;
                    continue;
                }
                keepBlobs.Add(Hex(image.Id));
                keepBlobs.Add(Hex(image.ManifestDigest));
                // A layer is kept unpacked only: the compressed blob a store written by an earlier
                // version kept beside it is not needed and goes (keepBlobs does not list it).
                foreach (ImageLayer layer in image.Layers)
                {
                    keepLayers.Add(Hex(layer.Digest));
                }
            }
            // A layer still under a mounted root filesystem stays, whatever the records say.
            keepLayers.UnionWith(MountedLayers());
            // Layers being pulled right now have no record yet.
            keepLayers.UnionWith(_layersInFlight.Keys.Select(Hex));

            foreach (string file in Directory.EnumerateFiles(BlobDir))
            {
                if (!keepBlobs.Contains(Path.GetFileName(file)))
                {
                    bytes += new FileInfo(file).Length;
                    File.Delete(file);
                    blobs++;
                }
            }
            foreach (string hex in StoredLayers().ToList())
            {
                if (!keepLayers.Contains(hex))
                {
                    DeleteLayer(hex);
                    layers++;
                }
            }
            // Temps of pulls that died (a crash, a kill): older than an hour and not in flight here.
            foreach (string entry in Directory.EnumerateFileSystemEntries(TempDir))
            {
                string hex = Path.GetFileName(entry).Split('.')[0];
                if (File.GetLastWriteTimeUtc(entry) < DateTime.UtcNow.AddHours(-1) && !keepLayers.Contains(hex))
                {
                    DeleteQuietly(entry);
                }
            }
            if (images + blobs + layers > 0)
            {
                Log.Collected(_log, images, blobs, layers, bytes);
            }
            return new GarbageCollection(blobs, layers, images, bytes);
        }
        finally
        {
            storeLock.Dispose();
        }
    }

    /// <summary>Hex names of layers that are lower dirs of an overlay mounted anywhere (from /proc/self/mountinfo).</summary>
    private IEnumerable<string> MountedLayers()
    {
        const string mountinfo = "/proc/self/mountinfo";
        if (!File.Exists(mountinfo))
        {
            yield break;
        }
        string prefix = LayersDir + "/";
        foreach (string line in File.ReadLines(mountinfo))
        {
            int lower = line.IndexOf("lowerdir=", StringComparison.Ordinal);
            if (lower < 0 || !line.Contains(" - overlay ", StringComparison.Ordinal))
            {
                continue;
            }
            int end = line.IndexOf(',', lower);
            string lowers = end < 0 ? line[(lower + 9)..] : line[(lower + 9)..end];
            foreach (string dir in lowers.Split(':'))
            {
                if (dir.StartsWith(prefix, StringComparison.Ordinal))
                {
                    yield return dir[prefix.Length..].TrimEnd('/');
                }
            }
        }
    }
}
