using System.Net;
using System.Net.Sockets;
using Appliance.Netfilter.Linux;

namespace Appliance.Web.Hosting;

/// <summary>Opens the UI/API's listening TCP socket inside a network namespace (on a thread that joined it), for Kestrel's ListenHandle.</summary>
public static class NamespacedTcpListener
{
    public static async Task<Socket> OpenAsync(string namespacePath, IPAddress address, int port, CancellationToken cancellationToken = default)
    {
        try
        {
            return await new NetworkNamespace(namespacePath).RunAsync(() =>
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                    socket.Bind(new IPEndPoint(address, port));
                    socket.Listen(512);
                    return socket;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }, cancellationToken);
        }
        catch (Exception e) when (e is SocketException or NamespaceException)
        {
            throw new DaemonStartException($"cannot listen on {address}:{port} in network namespace '{namespacePath}': {e.Message}; " +
                "check --netns and that the port is free there", e);
        }
    }
}
