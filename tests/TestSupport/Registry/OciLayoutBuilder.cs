using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Appliance.TestSupport.Registry;

/// <summary>
/// Writes small OCI image layouts for tests: layers from tar entries written as given (so a
/// test can make a hostile one: "../etc/passwd", "/etc/passwd", whiteouts), images with any
/// platform, and indexes over several images. Push the result with <see cref="LocalRegistry.PushAsync"/>.
/// </summary>
public sealed class OciLayoutBuilder
{
    private readonly List<JsonObject> _refs = new();

    public OciLayoutBuilder(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "blobs", "sha256"));
        System.IO.File.WriteAllText(Path.Combine(directory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
    }

    public string Directory { get; }

    /// <summary>A blob in the layout and its descriptor fields.</summary>
    public sealed record Blob(string MediaType, string Digest, long Size, string? DiffId = null)
    {
        public JsonObject Descriptor() => new() { ["mediaType"] = MediaType, ["digest"] = Digest, ["size"] = Size };
    }

    public Blob AddBlob(byte[] bytes, string mediaType)
    {
        string digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        System.IO.File.WriteAllBytes(Path.Combine(Directory, "blobs", "sha256", digest[7..]), bytes);
        return new Blob(mediaType, digest, bytes.Length);
    }

    /// <summary>A gzip layer from tar entries, written in order and unchanged.</summary>
    public Blob AddLayer(params TarEntry[] entries)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (TarEntry entry in entries)
            {
                writer.WriteEntry(entry);
            }
        }
        byte[] plain = tar.ToArray();
        using var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(plain);
        }
        Blob blob = AddBlob(gz.ToArray(), "application/vnd.oci.image.layer.v1.tar+gzip");
        return blob with { DiffId = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(plain)) };
    }

    /// <summary>A regular file; <paramref name="xattrs"/> become PAX <c>SCHILY.xattr.NAME</c> records.</summary>
    public static TarEntry File(string name, string content, UnixFileMode mode = (UnixFileMode)0x1a4, int uid = 0, int gid = 0,
        IReadOnlyDictionary<string, string>? xattrs = null)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name,
            (xattrs ?? new Dictionary<string, string>()).ToDictionary(x => "SCHILY.xattr." + x.Key, x => x.Value))
        {
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
            Mode = mode,
            Uid = uid,
            Gid = gid,
            ModificationTime = DateTimeOffset.FromUnixTimeSeconds(1_000_000_000),
        };
        return entry;
    }

    public static TarEntry Dir(string name, UnixFileMode mode = (UnixFileMode)0x1ed) =>
        new PaxTarEntry(TarEntryType.Directory, name) { Mode = mode, ModificationTime = DateTimeOffset.FromUnixTimeSeconds(1_000_000_000) };

    public static TarEntry Symlink(string name, string target) =>
        new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, Mode = (UnixFileMode)0x1ff };

    public static TarEntry HardLink(string name, string target) =>
        new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target, Mode = (UnixFileMode)0x1a4 };

    /// <summary>An image manifest over layers (bottom first) with a config for the platform; tagged in the layout when <paramref name="tag"/> is given.</summary>
    public Blob AddImage(IReadOnlyList<Blob> layers, string? tag = null, string architecture = "amd64", string os = "linux",
        string[]? entrypoint = null, string[]? env = null)
    {
        var config = new JsonObject
        {
            ["architecture"] = architecture,
            ["os"] = os,
            ["config"] = new JsonObject
            {
                ["Entrypoint"] = entrypoint is null ? null : new JsonArray(entrypoint.Select(e => (JsonNode)e!).ToArray()),
                ["Env"] = new JsonArray((env ?? ["PATH=/usr/bin:/bin"]).Select(e => (JsonNode)e!).ToArray()),
            },
            ["rootfs"] = new JsonObject
            {
                ["type"] = "layers",
                ["diff_ids"] = new JsonArray(layers.Select(l => (JsonNode)l.DiffId!).ToArray()),
            },
        };
        Blob configBlob = AddBlob(Encoding.UTF8.GetBytes(config.ToJsonString()), "application/vnd.oci.image.config.v1+json");
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = configBlob.Descriptor(),
            ["layers"] = new JsonArray(layers.Select(l => (JsonNode)l.Descriptor()).ToArray()),
        };
        Blob blob = AddBlob(Encoding.UTF8.GetBytes(manifest.ToJsonString()), "application/vnd.oci.image.manifest.v1+json");
        if (tag is not null)
        {
            Tag(blob, tag, new JsonObject { ["architecture"] = architecture, ["os"] = os });
        }
        return blob;
    }

    /// <summary>An image index over (manifest, platform) pairs, tagged in the layout.</summary>
    public Blob AddIndex(string tag, params (Blob Manifest, string Architecture, string? Variant)[] manifests)
    {
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = new JsonArray(manifests.Select(m =>
            {
                JsonObject d = m.Manifest.Descriptor();
                var platform = new JsonObject { ["architecture"] = m.Architecture, ["os"] = "linux" };
                if (m.Variant is not null)
                {
                    platform["variant"] = m.Variant;
                }
                d["platform"] = platform;
                return (JsonNode)d;
            }).ToArray()),
        };
        Blob blob = AddBlob(Encoding.UTF8.GetBytes(index.ToJsonString()), "application/vnd.oci.image.index.v1+json");
        Tag(blob, tag, null);
        return blob;
    }

    private void Tag(Blob blob, string tag, JsonObject? platform)
    {
        JsonObject d = blob.Descriptor();
        if (platform is not null)
        {
            d["platform"] = platform;
        }
        d["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = tag };
        _refs.RemoveAll(r => r["annotations"]?["org.opencontainers.image.ref.name"]?.GetValue<string>() == tag);
        _refs.Add(d);
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = new JsonArray(_refs.Select(r => (JsonNode)r.DeepClone()).ToArray()),
        };
        System.IO.File.WriteAllText(Path.Combine(Directory, "index.json"), index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
