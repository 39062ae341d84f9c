namespace Appliance.Web.Ui.Bridge;

/// <summary>
/// The UI process could not get an answer from the daemon over its socket (<see cref="SocketPath"/>). An
/// <see cref="IOException"/>, as a broken connection is: the live pages' streams (Components/Shared/LivePage) show it
/// and offer a reload. Operations that answer an <see cref="Backend.OperationResult"/> answer a failed one instead.
/// </summary>
public abstract class DaemonBridgeException(string socketPath, string message, Exception? inner) : IOException(message, inner)
{
    public string SocketPath { get; } = socketPath;
}
