namespace Appliance.Orchestrator.Images;

/// <summary>No image with that reference or id is in the store (or in the registry).</summary>
public sealed class ImageNotFoundException(string reference, string where)
    : ImageException($"image '{reference}' not found {where}")
{
    public string Reference { get; } = reference;
}
