namespace Appliance.Orchestrator.Images;

/// <summary>What a garbage collection removed.</summary>
public sealed record GarbageCollection(int Blobs, int Layers, int Images, long BytesFreed);
