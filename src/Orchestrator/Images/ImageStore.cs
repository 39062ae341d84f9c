using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Appliance.Orchestrator.Images;

/// <summary>
/// The content store under <see cref="ImageStoreOptions.Root"/>:
/// <c>blobs/sha256/HEX</c> (manifests, configs, compressed layers, each renamed into place only
/// after its digest is verified), <c>layers/HEX</c> (a layer unpacked once, named by its blob
/// digest; renamed into place when complete), <c>images/ID.json</c> (image records with their
/// references) and <c>tmp/</c> (downloads under way; never read as content).
/// One store per state directory and process.
/// </summary>
public sealed partial class ImageStore : IImageStore, IDisposable
{
    [JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
    [JsonSerializable(typeof(Image))]
    private sealed partial class ImageRecordJson : JsonSerializerContext;

    private readonly ImageStoreOptions _options;
    // Made at the first pull or update check: a daemon whose images are all pulled never loads System.Net.Http (~1 MB resident).
    private RegistryConnection? _connection;
    private object? _connectionLock;
    private readonly SemaphoreSlim _metadata = new(1, 1);
    private readonly Microsoft.Extensions.Logging.ILogger _log;

    public ImageStore(ImageStoreOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(options.Root);
        if (options.MaxParallelDownloads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"MaxParallelDownloads is {options.MaxParallelDownloads}; it must be 1 or more");
        }
        // Not `options with { Root = ... }`: a record's copy loads the types of all its fields, System.Net.Http's handler too.
        _options = options;
        Root = Path.GetFullPath(options.Root);
        _log = options.Logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        Platform = options.Platform ?? HostPlatform();
        foreach (string dir in new[] { BlobDir, LayersDir, ImagesDir, TempDir })
        {
            Directory.CreateDirectory(dir);
        }
    }

    public string Root { get; }

    private RegistryClient Registry =>
        LazyInitializer.EnsureInitialized(ref _connection, ref _connectionLock, () => new RegistryConnection(_options)).Client;

    /// <summary>"linux/amd64": what an image index is searched for.</summary>
    public string Platform { get; }

    private string BlobDir => Path.Combine(Root, "blobs", "sha256");

    private string LayersDir => Path.Combine(Root, "layers");

    private string ImagesDir => Path.Combine(Root, "images");

    private string TempDir => Path.Combine(Root, "tmp");

    internal string BlobPath(string digest) => Path.Combine(BlobDir, Hex(digest));

    internal string LayerPath(string digest) => Path.Combine(LayersDir, Hex(digest));

    private string ImagePath(string id) => Path.Combine(ImagesDir, Hex(id) + ".json");

    private static string Hex(string digest) =>
        ImageReference.DigestPattern().IsMatch(digest) ? digest["sha256:".Length..]
            : throw new ImageStorageException($"'{digest}' is not a sha256 digest");

    public static string HostPlatform() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "linux/amd64",
        Architecture.Arm64 => "linux/arm64",
        Architecture.Arm => "linux/arm/v7",
        Architecture.X86 => "linux/386",
        Architecture.S390x => "linux/s390x",
        Architecture.Ppc64le => "linux/ppc64le",
        Architecture.RiscV64 => "linux/riscv64",
        Architecture.LoongArch64 => "linux/loong64",
        Architecture other => $"linux/{other.ToString().ToLowerInvariant()}",
    };

    public async Task<IReadOnlyList<Image>> ListAsync(CancellationToken cancellationToken = default)
    {
        var images = new List<Image>();
        foreach (string file in Directory.EnumerateFiles(ImagesDir, "*.json"))
        {
            Image? image = await ReadImageAsync(file, cancellationToken);
            if (image is not null)
            {
                images.Add(image);
            }
        }
        return images.OrderBy(i => i.References.FirstOrDefault() ?? "~" + i.Id, StringComparer.Ordinal).ToList();
    }

    public async Task<Image?> FindAsync(string referenceOrId, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<Image> all = await ListAsync(cancellationToken);
        return Match(all, referenceOrId);
    }

    private static Image? Match(IReadOnlyList<Image> all, string referenceOrId)
    {
        string text = referenceOrId.Trim();
        string hex = text.StartsWith("sha256:", StringComparison.Ordinal) ? text[7..] : text;
        if (hex.Length >= 12 && hex.All(Uri.IsHexDigit))
        {
            Image[] byId = all.Where(i => i.Id[7..].StartsWith(hex, StringComparison.Ordinal)).ToArray();
            if (byId.Length == 1)
            {
                return byId[0];
            }
        }
        if (!ImageReference.TryParse(text, out ImageReference? reference, out _))
        {
            return null;
        }
        string canonical = reference.ToString();
        Image? named = all.FirstOrDefault(i => i.References.Contains(canonical, StringComparer.Ordinal));
        if (named is null && reference.Digest is not null)
        {
            named = all.FirstOrDefault(i => i.ManifestDigest == reference.Digest
                && i.References.Any(r => r.StartsWith($"{reference.Registry}/{reference.Repository}", StringComparison.Ordinal)));
        }
        return named;
    }

    public async Task RemoveAsync(string referenceOrId, CancellationToken cancellationToken = default)
    {
        StoreLock storeLock = await LockAsync(cancellationToken);
        try
        {
            IReadOnlyList<Image> all = await ListAsync(cancellationToken);
            Image image = Match(all, referenceOrId)
                ?? throw new ImageNotFoundException(referenceOrId, $"in the store ({Root}); `appliance image ls` lists what is there");
            bool byReference = ImageReference.TryParse(referenceOrId, out ImageReference? reference, out _)
                && image.References.Contains(reference.ToString(), StringComparer.Ordinal);
            IReadOnlyList<string> left = byReference ? image.References.Where(r => r != reference!.ToString()).ToList() : [];
            if (left.Count == 0)
            {
                File.Delete(ImagePath(image.Id));
            }
            else
            {
                await WriteImageAsync(image with { References = left }, cancellationToken);
            }
        }
        finally
        {
            storeLock.Dispose();
        }
        await CollectGarbageAsync(cancellationToken);
    }

    private async Task<Image?> ReadImageAsync(string file, CancellationToken cancellationToken)
    {
        try
        {
            await using FileStream stream = File.OpenRead(file);
            Image? image = await JsonSerializer.DeserializeAsync(stream, ImageRecordJson.Default.Image, cancellationToken);
            // Layer directories follow the store wherever it is now.
            return image is null ? null : image with { Layers = image.Layers.Select(l => l with { Directory = LayerPath(l.Digest) }).ToList() };
        }
        catch (FileNotFoundException)
        {
            return null; // removed meanwhile
        }
        catch (JsonException e)
        {
            throw new ImageStorageException($"image record '{file}' is damaged ({e.Message}); remove it and pull the image again");
        }
    }

    private async Task WriteImageAsync(Image image, CancellationToken cancellationToken)
    {
        string path = ImagePath(image.Id);
        string temp = Path.Combine(TempDir, $"{Hex(image.Id)}.{Guid.NewGuid():N}.json");
        await using (FileStream stream = File.Create(temp))
        {
            await JsonSerializer.SerializeAsync(stream, image, ImageRecordJson.Default.Image, cancellationToken);
        }
        File.Move(temp, path, overwrite: true);
    }

    public void Dispose()
    {
        _connection?.Dispose();
        _metadata.Dispose();
    }

    /// <summary>The HTTP client (with the options' handler, if any) and the registry protocol over it.</summary>
    private sealed class RegistryConnection : IDisposable
    {
        private readonly HttpClient _http;

        public RegistryConnection(ImageStoreOptions options)
        {
            _http = new HttpClient(options.HttpHandler ?? new SocketsHttpHandler
            {
                AutomaticDecompression = System.Net.DecompressionMethods.None,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(30),
            }, disposeHandler: options.HttpHandler is null)
            {
                Timeout = Timeout.InfiniteTimeSpan,
            };
            _http.DefaultRequestHeaders.UserAgent.ParseAdd("appliance/1.0");
            Client = new RegistryClient(_http, registry => options.Credentials?.Find(registry));
        }

        public RegistryClient Client { get; }

        public void Dispose() => _http.Dispose();
    }
}
