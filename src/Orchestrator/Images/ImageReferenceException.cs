namespace Appliance.Orchestrator.Images;

/// <summary>A string that is not an image reference.</summary>
public sealed class ImageReferenceException(string reference, string reason)
    : ImageException($"'{reference}' is not an image reference: {reason}; expected [REGISTRY/]NAME[:TAG][@sha256:DIGEST], e.g. \"postgres:15\" or \"registry.example.com/team/app@sha256:…\"")
{
    public string Reference { get; } = reference;
}
