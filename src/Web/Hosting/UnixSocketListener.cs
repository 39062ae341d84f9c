using System.Net.Sockets;

namespace Appliance.Web.Hosting;

/// <summary>
/// Prepares the CLI's unix socket: a 0700 directory (so nobody but root can even reach the socket while Kestrel
/// binds it), a stale socket file from a killed daemon removed, a live one refused; after binding, mode 0600.
/// </summary>
public static class UnixSocketListener
{
    public static void Prepare(string socketPath)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(socketPath))!;
        Directory.CreateDirectory(directory);
        if (directory is not ("/run" or "/tmp" or "/var/run") && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        if (!File.Exists(socketPath))
        {
            return;
        }
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(socketPath));
        }
        catch (SocketException)
        {
            File.Delete(socketPath);
            return;
        }
        throw new DaemonStartException($"another Appliance daemon is serving on '{socketPath}'; stop it first or pass a different --socket");
    }

    public static void Secure(string socketPath)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
