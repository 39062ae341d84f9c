namespace Appliance.Orchestrator.Stacks.Resolved;

/// <summary>
/// A mount. Volume: <see cref="Source"/> is the storage name of a declared volume. Bind: an absolute
/// host path (relative paths resolved against the stack file's folder). Tmpfs: no source.
/// </summary>
public sealed record ResolvedMount(MountType Type, string? Source, string Target, bool ReadOnly, long? TmpfsSizeBytes = null);
