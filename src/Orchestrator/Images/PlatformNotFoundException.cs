namespace Appliance.Orchestrator.Images;

/// <summary>An image index has no manifest for the platform this machine runs.</summary>
public sealed class PlatformNotFoundException(string reference, string wanted, IReadOnlyList<string> available)
    : ImageException($"image '{reference}' has no build for {wanted}; it offers: {(available.Count == 0 ? "(none)" : string.Join(", ", available))}. Use an image published for {wanted}.")
{
    public string Wanted { get; } = wanted;

    public IReadOnlyList<string> Available { get; } = available;
}
