using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text.Json;

namespace Appliance.Orchestrator.Images;

public sealed partial class ImageStore
{
    /// <summary>How much of a layer's download one read asks for.</summary>
    private const int DownloadReadSize = 64 * 1024;

    private readonly ConcurrentDictionary<string, Lazy<Task>> _layersInFlight = new(StringComparer.Ordinal);

    public ImagePull StartPull(string reference, CancellationToken cancellationToken = default) =>
        new(progress => PullAsync(reference, progress, cancellationToken));

    public async Task<Image> PullAsync(string reference, IProgress<LayerProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ImageReference image = ImageReference.Parse(reference);
        Log.Pulling(_log, image.ToString(), Platform);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            (Image pulled, int downloaded, long bytes) = await PullCoreAsync(image, progress, cancellationToken);
            Log.Pulled(_log, image.ToString(), pulled.Id, pulled.Layers.Count, downloaded, bytes,
                (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return pulled;
        }
        catch (Exception e) when (e is ImageException or OperationCanceledException)
        {
            Log.PullFailed(_log, image.ToString(), e.Message);
            throw;
        }
    }

    private async Task<(Image Image, int Downloaded, long Bytes)> PullCoreAsync(ImageReference image, IProgress<LayerProgress>? progress,
        CancellationToken cancellationToken)
    {
        (byte[] body, string mediaType, string digest) = await Registry.GetManifestAsync(image, image.ManifestReference, cancellationToken);
        OciManifestOrIndex manifest = ParseManifest(body, image);
        string kind = Kind(mediaType, manifest);
        if (OciMediaTypes.IsIndex(kind))
        {
            OciDescriptor chosen = ChoosePlatform(image, manifest);
            (body, mediaType, digest) = await Registry.GetManifestAsync(image, chosen.Digest, cancellationToken);
            manifest = ParseManifest(body, image);
            kind = Kind(mediaType, manifest);
            if (!OciMediaTypes.IsManifest(kind))
            {
                throw new RegistryException($"the index of {image} points for {Platform} to {chosen.Digest}, which is a {kind}, not an image manifest");
            }
        }
        if (manifest.Config is null || manifest.Layers is null)
        {
            throw new RegistryException($"manifest {digest} of {image} has no config or no layers: not an image manifest ({kind})");
        }

        OciDescriptor configDescriptor = manifest.Config;
        byte[] configBytes = await GetSmallBlobAsync(image, configDescriptor, "config", cancellationToken);
        OciImageConfigFile config = JsonSerializer.Deserialize(configBytes, OrchestratorJson.Default.OciImageConfigFile)
            ?? throw new RegistryException($"config {configDescriptor.Digest} of {image} is empty");
        List<string> diffIds = config.Rootfs?.DiffIds ?? [];
        if (diffIds.Count != manifest.Layers.Count)
        {
            throw new RegistryException($"image {image}: the manifest lists {manifest.Layers.Count} layers but the config {diffIds.Count} diff ids; the image is malformed");
        }

        var layers = new List<ImageLayer>();
        for (int i = 0; i < manifest.Layers.Count; i++)
        {
            OciDescriptor layer = manifest.Layers[i];
            if (!ImageReference.DigestPattern().IsMatch(layer.Digest))
            {
                throw new RegistryException($"image {image}: layer {i} has digest '{layer.Digest}'; only sha256 is supported");
            }
            if (!OciMediaTypes.IsGzipLayer(layer.MediaType) && !OciMediaTypes.IsPlainLayer(layer.MediaType))
            {
                throw new RegistryException($"image {image}: layer {layer.Digest} is {layer.MediaType}; Appliance unpacks gzip and plain tar layers only (zstd is not supported yet)");
            }
            layers.Add(new ImageLayer(layer.Digest, diffIds[i], layer.Size, layer.MediaType, LayerPath(layer.Digest)));
        }
        foreach (ImageLayer layer in layers.Where(IsLayerPresent))
        {
            try
            {
                EnsureLayerMounted(layer);
            }
            catch (ImageStorageException e) when (!IsLayerPresent(layer))
            {
                Log.LayerDamaged(_log, image.ToString(), e.Message); // the damaged image was removed
            }
        }
        foreach (ImageLayer layer in layers)
        {
            bool present = IsLayerPresent(layer);
            progress?.Report(new LayerProgress(layer.Digest, present ? LayerState.AlreadyPresent : LayerState.Waiting, present ? layer.Size : 0, layer.Size));
        }

        using var slots = new SemaphoreSlim(_options.MaxParallelDownloads);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        List<ImageLayer> missing = layers.Where(l => !IsLayerPresent(l)).Distinct().ToList();
        Task[] work = missing.Select(async layer =>
        {
            try
            {
                await GetLayerAsync(image, layer, slots, progress, failed.Token);
            }
            catch
            {
                progress?.Report(new LayerProgress(layer.Digest, LayerState.Failed, 0, layer.Size));
                await failed.CancelAsync(); // the others stop: the pull has failed
                throw;
            }
        }).ToArray();
        try
        {
            await Task.WhenAll(work);
        }
        catch
        {
            // Report the root cause, not a sibling's cancellation.
            Exception? cause = work.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault(e => e is not OperationCanceledException);
            if (cause is not null && !cancellationToken.IsCancellationRequested)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
            }
            throw;
        }

        foreach (ImageLayer layer in layers)
        {
            EnsureLayerMounted(layer); // readable at once, as an unpacked layer is
        }
        await StoreBlobAsync(digest, body, cancellationToken);
        var result = new Image
        {
            Id = configDescriptor.Digest,
            References = [image.ToString()],
            ManifestDigest = digest,
            Config = ToConfig(config),
            Layers = layers,
            PulledAt = DateTimeOffset.UtcNow,
        };
        return (await RegisterAsync(result, image.ToString(), cancellationToken), missing.Count, missing.Sum(l => l.Size));
    }

    private async Task<Image> RegisterAsync(Image pulled, string reference, CancellationToken cancellationToken)
    {
        StoreLock storeLock = await LockAsync(cancellationToken);
        try
        {
            IReadOnlyList<Image> all = await ListAsync(cancellationToken);
            foreach (Image other in all.Where(i => i.Id != pulled.Id && i.References.Contains(reference)))
            {
                // the reference moved to the new image; the old one stays (dangling) until removed or collected
                await WriteImageAsync(other with { References = other.References.Where(r => r != reference).ToList() }, cancellationToken);
            }
            Image? existing = all.FirstOrDefault(i => i.Id == pulled.Id);
            Image merged = existing is null
                ? pulled
                : pulled with { References = existing.References.Union([reference]).ToList() };
            await WriteImageAsync(merged, cancellationToken);
            return merged;
        }
        finally
        {
            storeLock.Dispose();
        }
    }

    private OciManifestOrIndex ParseManifest(byte[] body, ImageReference image)
    {
        try
        {
            return JsonSerializer.Deserialize(body, OrchestratorJson.Default.OciManifestOrIndex) ?? throw new JsonException("empty document");
        }
        catch (JsonException e)
        {
            throw new RegistryException($"the manifest of {image} is not valid JSON: {e.Message}");
        }
    }

    private static string Kind(string mediaType, OciManifestOrIndex manifest)
    {
        if (OciMediaTypes.IsIndex(mediaType) || OciMediaTypes.IsManifest(mediaType))
        {
            return mediaType;
        }
        if (manifest.MediaType is { Length: > 0 } declared)
        {
            return declared;
        }
        return manifest.Manifests is not null ? OciMediaTypes.OciIndex : OciMediaTypes.OciManifest;
    }

    private OciDescriptor ChoosePlatform(ImageReference image, OciManifestOrIndex index)
    {
        string[] wanted = Platform.Split('/');
        (string os, string arch, string? variant) = (wanted[0], wanted.Length > 1 ? wanted[1] : "", wanted.Length > 2 ? wanted[2] : null);
        List<OciDescriptor> candidates = (index.Manifests ?? [])
            .Where(m => m.Platform is not null && m.Platform.Os == os && m.Platform.Architecture == arch)
            .ToList();
        OciDescriptor? chosen = candidates.FirstOrDefault(m => m.Platform!.Variant == variant)
            ?? candidates.FirstOrDefault(m => variant is null || m.Platform!.Variant is null || (arch == "arm64" && m.Platform.Variant == "v8"))
            ?? (variant is null ? candidates.FirstOrDefault() : null);
        if (chosen is null)
        {
            throw new PlatformNotFoundException(image.ToString(), Platform,
                (index.Manifests ?? []).Select(m => m.Platform?.ToString() ?? "(unknown platform)").Distinct().ToList());
        }
        return chosen;
    }

    private static ImageConfig ToConfig(OciImageConfigFile file)
    {
        OciContainerConfig c = file.Config ?? new OciContainerConfig();
        return new ImageConfig
        {
            Entrypoint = c.Entrypoint ?? [],
            Cmd = c.Cmd ?? [],
            Env = c.Env ?? [],
            User = c.User ?? "",
            WorkingDir = string.IsNullOrEmpty(c.WorkingDir) ? "/" : c.WorkingDir,
            ExposedPorts = (c.ExposedPorts?.Keys ?? Enumerable.Empty<string>()).Order(StringComparer.Ordinal).ToList(),
            Labels = c.Labels ?? new Dictionary<string, string>(),
            StopSignal = c.StopSignal,
            Os = file.Os ?? "linux",
            Architecture = file.Architecture ?? "",
        };
    }

    /// <summary>A config (or other small blob): from the store, or downloaded, verified and stored.</summary>
    private async Task<byte[]> GetSmallBlobAsync(ImageReference image, OciDescriptor descriptor, string what, CancellationToken cancellationToken)
    {
        string path = BlobPath(descriptor.Digest);
        if (File.Exists(path))
        {
            return await File.ReadAllBytesAsync(path, cancellationToken);
        }
        if (descriptor.Size > 16 << 20)
        {
            throw new RegistryException($"image {image}: the {what} blob {descriptor.Digest} claims {descriptor.Size} bytes; more than 16 MiB is refused");
        }
        using HttpResponseMessage response = await Registry.GetBlobAsync(image, descriptor.Digest, cancellationToken);
        await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        await using (var hashing = new HashingReadStream(body, buffer, descriptor.Size, $"{what} {descriptor.Digest} of {image}"))
        {
            await hashing.DrainAsync(cancellationToken);
            if (hashing.Digest() != descriptor.Digest)
            {
                throw new DigestMismatchException($"{what} {descriptor.Digest} of {image}", descriptor.Digest, hashing.Digest());
            }
        }
        byte[] bytes = buffer.ToArray();
        await StoreBlobAsync(descriptor.Digest, bytes, cancellationToken);
        return bytes;
    }

    private async Task StoreBlobAsync(string digest, byte[] bytes, CancellationToken cancellationToken)
    {
        string path = BlobPath(digest);
        if (File.Exists(path))
        {
            return;
        }
        string temp = Path.Combine(TempDir, $"{Hex(digest)}.{Guid.NewGuid():N}.blob");
        await File.WriteAllBytesAsync(temp, bytes, cancellationToken);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>One download per layer digest at a time, even across concurrent pulls.</summary>
    private Task GetLayerAsync(ImageReference image, ImageLayer layer, SemaphoreSlim slots, IProgress<LayerProgress>? progress, CancellationToken cancellationToken)
    {
        Lazy<Task> lazy = _layersInFlight.GetOrAdd(layer.Digest, digest => new Lazy<Task>(async () =>
        {
            try
            {
                await DownloadLayerAsync(image, layer, slots, progress, cancellationToken);
            }
            finally
            {
                _layersInFlight.TryRemove(digest, out Lazy<Task>? _);
            }
        }));
        // Not WaitAsync(token): a failed pull returns only after its downloads cleaned up their temps.
        return lazy.Value;
    }

    /// <summary>
    /// Streams a layer once: every byte is hashed while it is decompressed (and hashed again as the
    /// diff id) and unpacked into a temp directory. Only when both digests match is the directory
    /// renamed into the store; on any failure it is deleted, so nothing partial is ever visible.
    /// The compressed blob is not kept (as Docker's and Podman's stores do not): nothing reads it
    /// once unpacked, and keeping it would take the image's size on disk a second time.
    /// </summary>
    private async Task DownloadLayerAsync(ImageReference image, ImageLayer layer, SemaphoreSlim slots, IProgress<LayerProgress>? progress,
        CancellationToken cancellationToken)
    {
        await slots.WaitAsync(cancellationToken);
        string unique = Guid.NewGuid().ToString("N");
        bool erofs = StoresErofs();
        // An EROFS image file, or a directory the layer is unpacked into.
        string temp = Path.Combine(TempDir, $"{Hex(layer.Digest)}.{unique}.{(erofs ? "erofs" : "layer")}");
        string what = $"layer {layer.Digest} of {image}";
        try
        {
            progress?.Report(new LayerProgress(layer.Digest, LayerState.Downloading, 0, layer.Size));
            long lastReported = 0;
            using HttpResponseMessage response = await Registry.GetBlobAsync(image, layer.Digest, cancellationToken);
            await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await using (var compressed = new HashingReadStream(body, null, layer.Size, what, done =>
            {
                if (done - lastReported >= 512 * 1024 || done == layer.Size)
                {
                    lastReported = done;
                    progress?.Report(new LayerProgress(layer.Digest, LayerState.Downloading, done, layer.Size));
                }
            }, _options.IdleTimeout))
            {
                try
                {
                    // gunzip asks for 8 KB at a time; each read of the download costs a socket read and the idle
                    // timer's reset, so it reads through a 64 KB buffer (not disposed: that would close `compressed`,
                    // which is drained and checked below; the bytes it holds are already hashed and counted).
                    Stream tar = OciMediaTypes.IsGzipLayer(layer.MediaType)
                        ? new GZipStream(new BufferedStream(compressed, DownloadReadSize), CompressionMode.Decompress, leaveOpen: true)
                        : compressed;
                    await using (tar)
                    await using (var uncompressed = new HashingReadStream(tar, null, null, what))
                    {
                        int entries;
                        if (erofs)
                        {
                            using var writer = new Erofs.ErofsImageWriter(temp, DateTimeOffset.UtcNow);
                            var builder = new Erofs.ErofsLayerBuilder(writer, what);
                            await builder.BuildAsync(uncompressed, cancellationToken);
                            entries = builder.Entries;
                        }
                        else
                        {
                            var unpacker = new LayerUnpacker(temp, what);
                            await unpacker.UnpackAsync(uncompressed, cancellationToken);
                            entries = unpacker.Entries;
                        }
                        Log.LayerUnpacked(_log, layer.Digest, entries, uncompressed.BytesRead);
                        await uncompressed.DrainAsync(cancellationToken);
                        await compressed.DrainAsync(cancellationToken);
                        VerifyDigest(what, layer.Digest, compressed);
                        if (uncompressed.Digest() != layer.DiffId)
                        {
                            throw new DigestMismatchException($"uncompressed {what} (diff id)", layer.DiffId, uncompressed.Digest());
                        }
                    }
                }
                catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or UnsafeLayerException or ImageStorageException or IOException
                    && e is not DigestMismatchException)
                {
                    // A corrupted download shows up first as bad gzip/tar data (or even a bad entry):
                    // if the bytes do not match the digest, that is the real error.
                    try
                    {
                        await compressed.DrainAsync(cancellationToken);
                    }
                    catch (Exception) when (e is not OperationCanceledException)
                    {
                        throw e is IOException && e is not EndOfStreamException
                            ? new RegistryException($"{what}: download interrupted: {e.Message}", inner: e)
                            : e;
                    }
                    VerifyDigest(what, layer.Digest, compressed);
                    if (e is UnsafeLayerException or ImageStorageException)
                    {
                        throw;
                    }
                    throw new RegistryException($"{what} is not a valid {(OciMediaTypes.IsGzipLayer(layer.MediaType) ? "gzip " : "")}tar although its digest matches: {e.Message}", inner: e);
                }
                if (compressed.BytesRead != layer.Size)
                {
                    throw new DigestMismatchException(what, $"{layer.Size} bytes", $"{compressed.BytesRead} bytes");
                }
            }
            try
            {
                if (erofs)
                {
                    File.Move(temp, LayerImagePath(layer));
                }
                else
                {
                    Directory.Move(temp, layer.Directory);
                }
            }
            catch (IOException) when (IsLayerPresent(layer))
            {
                // another process unpacked it meanwhile: same content
            }
            progress?.Report(new LayerProgress(layer.Digest, LayerState.Done, layer.Size, layer.Size));
        }
        catch (HttpIOException e)
        {
            throw new RegistryException($"{what}: download interrupted: {e.Message}; pull again to resume (finished layers are kept)", inner: e);
        }
        finally
        {
            slots.Release();
            DeleteQuietly(temp);
        }
    }

    private static void VerifyDigest(string what, string expected, HashingReadStream stream)
    {
        string actual = stream.Digest();
        if (actual != expected)
        {
            throw new DigestMismatchException(what, expected, actual);
        }
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
            else if (File.Exists(path))
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // left in tmp/: garbage collection removes it
        }
    }
}
