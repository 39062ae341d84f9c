namespace Appliance.Web.Cli;

/// <summary>The daemon could not be reached or refused the request; the message is for the user.</summary>
public sealed class DaemonClientException(string message, Exception? inner = null, int? statusCode = null) : Exception(message, inner)
{
    public int? StatusCode { get; } = statusCode;
}
