namespace Appliance.Orchestrator.Images;

/// <summary>
/// A container's root filesystem: an overlayfs mount at <see cref="Path"/> of the image's
/// layers (read-only, shared) with the container's own <see cref="UpperDir"/> and <see cref="WorkDir"/>.
/// </summary>
public sealed record Rootfs(string ContainerDir, string Path, string UpperDir, string WorkDir);
