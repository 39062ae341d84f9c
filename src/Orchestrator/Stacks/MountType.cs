namespace Appliance.Orchestrator.Stacks;

/// <summary>What a service mount is backed by.</summary>
public enum MountType
{
    /// <summary>A named volume Appliance manages (kept until the user deletes it).</summary>
    Volume,

    /// <summary>A host path.</summary>
    Bind,

    /// <summary>A memory-backed tmpfs.</summary>
    Tmpfs,
}
