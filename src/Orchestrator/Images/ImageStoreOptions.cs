namespace Appliance.Orchestrator.Images;

/// <summary>Where the image store lives and how it pulls.</summary>
public sealed record ImageStoreOptions
{
    /// <summary>The store's directory, e.g. /var/lib/appliance/images (blobs/, layers/, images/, tmp/).</summary>
    public required string Root { get; init; }

    /// <summary>Layers downloaded (and unpacked) at the same time.</summary>
    public int MaxParallelDownloads { get; init; } = 3;

    /// <summary>Logins per registry; none when null.</summary>
    public RegistryCredentialStore? Credentials { get; init; }

    /// <summary>The HTTP handler under the registry client (tests put a counting one here).</summary>
    public HttpMessageHandler? HttpHandler { get; init; }

    /// <summary>A layer download that receives nothing for this long fails (and can be retried).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Where pulls, garbage collections and mounts are logged; nowhere when null.</summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; init; }

    /// <summary>How pulled layers are stored: <see cref="LayerFormat.Auto"/> picks EROFS images when the kernel can mount them.</summary>
    public LayerFormat LayerFormat { get; init; } = LayerFormat.Auto;

    /// <summary>Platform to pick from an image index; the host's ("linux/amd64", "linux/arm64/v8") when null.</summary>
    public string? Platform { get; init; }
}

/// <summary>How the store keeps a pulled layer.</summary>
public enum LayerFormat
{
    /// <summary>An EROFS image when the kernel mounts one from a file (Linux 6.12+), else unpacked.</summary>
    Auto,

    /// <summary>One read-only EROFS image file per layer, mounted as the overlay's lower dir.</summary>
    Erofs,

    /// <summary>Unpacked into a directory, file by file.</summary>
    Directory,
}
