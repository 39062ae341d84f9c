namespace Appliance.Orchestrator.Images;

public sealed partial class ImageStore
{
    /// <summary>
    /// The digest of the image manifest the registry serves now for <paramref name="reference"/> on this platform (an index
    /// resolved to this platform's manifest, as a pull resolves it): compared with a local image's
    /// <see cref="Image.ManifestDigest"/>, it says whether a newer image is there. Downloads no layer.
    /// </summary>
    public async Task<string> RemoteManifestDigestAsync(string reference, CancellationToken cancellationToken = default)
    {
        ImageReference image = ImageReference.Parse(reference);
        (byte[] body, string mediaType, string digest) = await Registry.GetManifestAsync(image, image.ManifestReference, cancellationToken);
        OciManifestOrIndex manifest = ParseManifest(body, image);
        return OciMediaTypes.IsIndex(Kind(mediaType, manifest)) ? ChoosePlatform(image, manifest).Digest : digest;
    }
}
