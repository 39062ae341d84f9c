using System.Net;

namespace Appliance.Orchestrator.Images;

/// <summary>The registry answered with an error, or could not be reached.</summary>
public sealed class RegistryException(string message, Uri? uri = null, HttpStatusCode? status = null, Exception? inner = null)
    : ImageException(message, inner)
{
    public Uri? Uri { get; } = uri;

    public HttpStatusCode? Status { get; } = status;
}
