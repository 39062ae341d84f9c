using System.Net.Sockets;
using Appliance.Netfilter.Linux;
using Tmds.Linux;

namespace Appliance.Netfilter.Nftables;

/// <summary>
/// The kernel's nftables change notifications for one network namespace (a NETLINK_NETFILTER socket in the
/// NFNLGRP_NFTABLES multicast group, what `nft monitor` reads): every committed change to any table there, by any tool,
/// sends messages. Only that something changed is used, not what: the caller compares its own table then.
/// </summary>
internal sealed class NftablesEvents : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];

    private NftablesEvents(Socket socket)
    {
        _socket = socket;
        // Non-blocking, so the queue can be drained until empty (netlink has no FIONREAD for Socket.Available).
        _socket.Blocking = false;
    }

    /// <summary>Subscribes in <paramref name="ns"/> (the socket is created there; it reads that namespace's events from any thread).</summary>
    public static async Task<NftablesEvents> OpenAsync(NetworkNamespace ns, CancellationToken cancellationToken)
    {
        int fd = await ns.RunAsync(() => OpenSocket(ns), cancellationToken);
        return new NftablesEvents(new Socket(new SafeSocketHandle(fd, ownsHandle: true)));
    }

    private static unsafe int OpenSocket(NetworkNamespace ns)
    {
        int fd = LibC.socket(NetlinkConstants.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NetlinkConstants.NETLINK_NETFILTER);
        if (fd < 0)
        {
            throw new NamespaceException($"socket(AF_NETLINK, NETLINK_NETFILTER) in {ns.Path} failed: {LinuxNative.ErrnoText(LibC.errno)}", LibC.errno);
        }
        var address = new sockaddr_nl { nl_family = NetlinkConstants.AF_NETLINK, nl_groups = 1u << (NetlinkConstants.NFNLGRP_NFTABLES - 1) };
        if (LibC.bind(fd, (sockaddr*)&address, (socklen_t)sizeof(sockaddr_nl)) != 0)
        {
            int errno = LibC.errno;
            LibC.close(fd);
            throw new NamespaceException($"joining the nftables events (NFNLGRP_NFTABLES) in {ns.Path} failed: {LinuxNative.ErrnoText(errno)}", errno);
        }
        return fd;
    }

    /// <summary>
    /// Waits until nftables reports a change (true; every message already queued is read too) or <paramref name="timeout"/>
    /// passes (false). A queue that overflowed (ENOBUFS: events were lost) counts as a change.
    /// </summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await _socket.ReceiveAsync(_buffer, SocketFlags.None, timer.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException && timer.IsCancellationRequested)
        {
            // A cancelled receive on this socket may end as a SocketException rather than an OperationCanceledException.
            cancellationToken.ThrowIfCancellationRequested();
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.NoBufferSpaceAvailable)
        {
            // Events were dropped: something changed.
        }
        while (true)
        {
            try
            {
                _socket.Receive(_buffer);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
                break; // read all that was queued
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.NoBufferSpaceAvailable)
            {
                // dropped events, as above
            }
        }
        return true;
    }

    public void Dispose() => _socket.Dispose();
}
