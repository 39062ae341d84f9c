namespace Appliance.Orchestrator.Images;

/// <summary>The media types of the OCI image spec and Docker's schema 2, in one place.</summary>
public static class OciMediaTypes
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayerTar = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string OciLayerNondistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string DockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

    public static bool IsIndex(string? mediaType) => mediaType is OciIndex or DockerManifestList;

    public static bool IsManifest(string? mediaType) => mediaType is OciManifest or DockerManifest;

    public static bool IsGzipLayer(string mediaType) =>
        mediaType is OciLayerGzip or DockerLayerGzip or OciLayerNondistributableGzip or DockerForeignLayerGzip;

    public static bool IsPlainLayer(string mediaType) => mediaType is OciLayerTar;

    /// <summary>The Accept header for a manifest request: every kind we can read.</summary>
    public static readonly string[] ManifestAccept = [OciIndex, OciManifest, DockerManifestList, DockerManifest];
}
