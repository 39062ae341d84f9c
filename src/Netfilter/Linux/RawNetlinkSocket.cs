using System.Runtime.InteropServices;

namespace Appliance.Netfilter.Linux;

/// <summary>A raw netlink socket (a SafeHandle over the fd), opened in the calling thread's namespace.</summary>
internal sealed class RawNetlinkSocket : SafeHandle
{
    private RawNetlinkSocket() : base(-1, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == -1;

    public static RawNetlinkSocket Open(int protocol, string purpose)
    {
        int fd = LinuxNetlinkNative.socket(LinuxNetlinkNative.AF_NETLINK, LinuxNetlinkNative.SOCK_RAW | LinuxNetlinkNative.SOCK_CLOEXEC, protocol);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new NamespaceException($"netlink socket for {purpose} failed: {LinuxNative.ErrnoText(errno)}", errno);
        }
        var socket = new RawNetlinkSocket();
        socket.SetHandle(fd);
        return socket;
    }

    public unsafe void Send(ReadOnlySpan<byte> message, string what)
    {
        fixed (byte* p = message)
        {
            while (true)
            {
                nint sent = LinuxNetlinkNative.send((int)handle, p, message.Length, 0);
                if (sent >= 0)
                {
                    return;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno is not (4 or 11))
                {
                    throw new NamespaceException($"netlink send {what} failed: {LinuxNative.ErrnoText(errno)}", errno);
                }
            }
        }
    }

    public unsafe int Receive(Span<byte> buffer, string what)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint read = LinuxNetlinkNative.recv((int)handle, p, buffer.Length, 0);
                if (read >= 0)
                {
                    return (int)read;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno is not (4 or 11))
                {
                    throw new NamespaceException($"netlink receive {what} failed: {LinuxNative.ErrnoText(errno)}", errno);
                }
            }
        }
    }

    protected override bool ReleaseHandle() => LinuxNetlinkNative.close((int)handle) == 0;
}
