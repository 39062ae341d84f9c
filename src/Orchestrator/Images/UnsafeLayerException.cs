namespace Appliance.Orchestrator.Images;

/// <summary>A layer tar has an entry that would land outside the layer's directory (or cannot be unpacked safely).</summary>
public sealed class UnsafeLayerException(string layer, string entry, string reason)
    : ImageException($"layer {layer}: entry '{entry}' refused: {reason}. The image is malformed or malicious; nothing of this layer was kept.")
{
    public string Layer { get; } = layer;

    public string Entry { get; } = entry;
}
