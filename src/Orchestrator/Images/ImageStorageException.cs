namespace Appliance.Orchestrator.Images;

/// <summary>A file-system operation of the store failed (unpack, mount, rename): names the operation, path and errno.</summary>
public sealed class ImageStorageException(string message, int errno = 0, Exception? inner = null) : ImageException(message, inner)
{
    public int Errno { get; } = errno;
}
