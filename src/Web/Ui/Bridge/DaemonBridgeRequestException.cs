namespace Appliance.Web.Ui.Bridge;

/// <summary>The daemon answered a bridge request with an error status; the message is its own (an ErrorResponse's).</summary>
public sealed class DaemonBridgeRequestException(string socketPath, string request, int statusCode, string message)
    : DaemonBridgeException(socketPath, message, null)
{
    /// <summary>Method and path, e.g. <c>GET /api/daemon/ui/stacks</c>.</summary>
    public string Request { get; } = request;

    public int StatusCode { get; } = statusCode;
}
