namespace Appliance.Web.Ui.Bridge;

/// <summary>No connection to the daemon's socket, or it broke off before the answer was complete.</summary>
public sealed class DaemonUnreachableException(string socketPath, string reason, Exception? inner = null)
    : DaemonBridgeException(socketPath,
        $"the Appliance daemon is not reachable at '{socketPath}' ({reason}); check it with `systemctl status appliance`", inner)
{
    public string Reason { get; } = reason;
}
