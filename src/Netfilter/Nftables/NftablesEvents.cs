using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
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
    /// Waits until another process commits a change to nftables in the namespace (true; every message already queued is
    /// read too) or <paramref name="timeout"/> passes (false). Transactions this process committed itself (its nft thread
    /// applying the firewall: the transaction's closing NFT_MSG_NEWGEN names the committing task, one of our threads) do
    /// not count. A queue that overflowed (ENOBUFS: events were lost) counts as a change, and so do messages whose
    /// transaction's NFT_MSG_NEWGEN has not come by the timeout.
    /// </summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        bool pending = false;
        while (true)
        {
            bool changed;
            try
            {
                int length = await _socket.ReceiveAsync(_buffer, SocketFlags.None, timer.Token);
                changed = ByAnotherProcess(_buffer.AsSpan(0, length), ref pending);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException && timer.IsCancellationRequested)
            {
                // A cancelled receive on this socket may end as a SocketException rather than an OperationCanceledException.
                cancellationToken.ThrowIfCancellationRequested();
                return pending;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.NoBufferSpaceAvailable)
            {
                changed = true; // events were dropped: something changed
            }
            while (true)
            {
                try
                {
                    int length = _socket.Receive(_buffer);
                    changed |= ByAnotherProcess(_buffer.AsSpan(0, length), ref pending);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
                {
                    break; // read all that was queued
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.NoBufferSpaceAvailable)
                {
                    changed = true;
                }
            }
            if (changed)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// Whether these messages show a change that another process committed: a transaction's NFT_MSG_NEWGEN whose task is
    /// not a thread of this process (or messages that cannot be read). <paramref name="pending"/> carries, from one read
    /// to the next, that nftables messages came whose NFT_MSG_NEWGEN (it closes each transaction) has not yet.
    /// </summary>
    internal static bool ByAnotherProcess(ReadOnlySpan<byte> messages, ref bool pending)
    {
        int offset = 0;
        while (offset + NlmsghdrSize <= messages.Length)
        {
            nlmsghdr header = MemoryMarshal.Read<nlmsghdr>(messages[offset..]);
            int length = (int)header.nlmsg_len;
            if (length < NlmsghdrSize + NfgenmsgSize || offset + length > messages.Length)
            {
                return true; // not understood: compare
            }
            if (header.nlmsg_type >> 8 == NetlinkConstants.NFNL_SUBSYS_NFTABLES)
            {
                if ((header.nlmsg_type & 0xff) == NetlinkConstants.NFT_MSG_NEWGEN)
                {
                    pending = false;
                    if (CommittedBy(messages.Slice(offset + NlmsghdrSize + NfgenmsgSize, length - NlmsghdrSize - NfgenmsgSize)) is not int task
                        || !IsOwnThread(task))
                    {
                        return true;
                    }
                }
                else
                {
                    pending = true;
                }
            }
            offset += NetlinkConstants.Align(length);
        }
        return offset != messages.Length; // a truncated message: compare
    }

    private static readonly int NlmsghdrSize = Marshal.SizeOf<nlmsghdr>();
    private const int NfgenmsgSize = 4;

    /// <summary>NFTA_GEN_PROC_PID of an NFT_MSG_NEWGEN's attributes (network byte order), if there.</summary>
    private static int? CommittedBy(ReadOnlySpan<byte> attributes)
    {
        var reader = new NetlinkAttributeReader(attributes);
        while (reader.MoveNext())
        {
            if (reader.Type == NetlinkConstants.NFTA_GEN_PROC_PID && reader.Payload.Length >= 4)
            {
                return (int)BinaryPrimitives.ReadUInt32BigEndian(reader.Payload);
            }
        }
        return null;
    }

    /// <summary>The kernel names the committing task by its thread id (in the initial pid namespace, where the daemon runs).</summary>
    private static bool IsOwnThread(int task) => task == Environment.ProcessId || Directory.Exists($"/proc/self/task/{task}");

    public void Dispose() => _socket.Dispose();
}
