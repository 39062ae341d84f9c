using System.Net.Sockets;

namespace Appliance.Web.Hosting;

/// <summary>
/// HTTP over a root-only unix socket: a <see cref="SocketsHttpHandler"/> whose every connection is a stream socket connected
/// to <c>socketPath</c>, with no proxy, redirects, cookies, decompression or trace headers. The CLI (<see cref="Cli.DaemonClient"/>)
/// and the UI process's bridge (<c>Ui.Bridge.DaemonBridgeClient</c>) talk to the daemon this way, and the daemon to the UI
/// (<see cref="UiProxy"/>).
/// </summary>
public static class UnixSocketConnector
{
    /// <summary>The host name in the requests' URIs; the socket is what is connected to, whatever it says.</summary>
    public static readonly Uri BaseAddress = new("http://appliance/");

    public static SocketsHttpHandler CreateHandler(string socketPath) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        UseCookies = false,
        ActivityHeadersPropagator = null,
        ConnectCallback = async (_, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
