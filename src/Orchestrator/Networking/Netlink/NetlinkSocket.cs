using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Appliance.Orchestrator.Networking.Netlink;

/// <summary>
/// A NETLINK_ROUTE socket in the network namespace of the thread that opened it: sends one
/// request at a time and reads its ACK, reply or dump. EINTR and EAGAIN are retried; a kernel
/// error becomes a <see cref="NetlinkException"/> naming the operation, object and errno, with
/// the extended-ACK text when the kernel gave one. Not thread-safe: callers serialize.
/// </summary>
internal sealed unsafe class NetlinkSocket : IDisposable
{
    private const int ReceiveBufferSize = 64 * 1024;
    private const int MaxDumpAttempts = 5;
    private const int MaxAgainRetries = 1000;

    private readonly NetlinkSocketHandle _handle;
    private readonly byte[] _receiveBuffer = new byte[ReceiveBufferSize];
    private uint _sequence;

    private NetlinkSocket(NetlinkSocketHandle handle)
    {
        _handle = handle;
        _sequence = (uint)Environment.TickCount;
    }

    /// <summary>Opens a socket in the calling thread's network namespace.</summary>
    public static NetlinkSocket Open()
    {
        int fd = LibC.socket(Rtnl.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, Rtnl.NETLINK_ROUTE);
        if (fd < 0)
        {
            throw new NetlinkException("socket", "AF_NETLINK", "NETLINK_ROUTE", LibC.errno);
        }
        var handle = new NetlinkSocketHandle(fd);
        try
        {
            var address = new sockaddr_nl { nl_family = Rtnl.AF_NETLINK };
            if (LibC.bind(fd, (sockaddr*)&address, (socklen_t)sizeof(sockaddr_nl)) != 0)
            {
                throw new NetlinkException("bind", "AF_NETLINK", "NETLINK_ROUTE", LibC.errno);
            }
            int on = 1;
            // Best effort: without them errors are still reported, only with less text.
            LibC.setsockopt(fd, Rtnl.SOL_NETLINK, Rtnl.NETLINK_EXT_ACK, &on, (socklen_t)sizeof(int));
            LibC.setsockopt(fd, Rtnl.SOL_NETLINK, Rtnl.NETLINK_CAP_ACK, &on, (socklen_t)sizeof(int));
            return new NetlinkSocket(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public uint NextSequence() => unchecked(++_sequence);

    /// <summary>Sends a request built with NLM_F_ACK and waits for its ACK.</summary>
    public void Execute(ReadOnlySpan<byte> request, string objectKind, string objectName)
    {
        nlmsghdr header = MemoryMarshal.Read<nlmsghdr>(request);
        Send(request, header, objectKind, objectName);
        while (true)
        {
            int received = Receive(header, objectKind, objectName);
            foreach ((nlmsghdr reply, int offset) in Messages(received))
            {
                if (reply.nlmsg_seq != header.nlmsg_seq)
                {
                    continue;
                }
                if (reply.nlmsg_type == Rtnl.NLMSG_ERROR)
                {
                    ThrowIfError(reply, offset, header, objectKind, objectName);
                    return;
                }
            }
        }
    }

    /// <summary>Sends a request that has one reply message (RTM_GETLINK by name); null never.</summary>
    public NetlinkMessage Get(ReadOnlySpan<byte> request, string objectKind, string objectName)
    {
        nlmsghdr header = MemoryMarshal.Read<nlmsghdr>(request);
        Send(request, header, objectKind, objectName);
        NetlinkMessage? result = null;
        while (true)
        {
            int received = Receive(header, objectKind, objectName);
            foreach ((nlmsghdr reply, int offset) in Messages(received))
            {
                if (reply.nlmsg_seq != header.nlmsg_seq)
                {
                    continue;
                }
                if (reply.nlmsg_type == Rtnl.NLMSG_ERROR)
                {
                    ThrowIfError(reply, offset, header, objectKind, objectName);
                    if (result is { } done)
                    {
                        return done;
                    }
                    throw new NetlinkException(Rtnl.MessageTypeName(header.nlmsg_type), objectKind, objectName, NetlinkException.ENODEV, "no reply");
                }
                result = new NetlinkMessage(reply.nlmsg_type, Payload(reply, offset).ToArray());
                if ((header.nlmsg_flags & Rtnl.NLM_F_ACK) == 0)
                {
                    return result.Value;
                }
            }
        }
    }

    /// <summary>Runs a dump request (NLM_F_DUMP) to NLMSG_DONE; restarts it if the kernel flags it interrupted.</summary>
    public List<NetlinkMessage> Dump(ReadOnlySpan<byte> request, string objectKind)
    {
        Span<byte> copy = stackalloc byte[request.Length];
        request.CopyTo(copy);
        for (int attempt = 1; ; attempt++)
        {
            uint sequence = NextSequence();
            BinaryPrimitives.WriteUInt32LittleEndian(copy[8..], sequence);
            nlmsghdr header = MemoryMarshal.Read<nlmsghdr>(copy);
            Send(copy, header, objectKind, "*");
            var messages = new List<NetlinkMessage>();
            bool interrupted = false;
            bool done = false;
            while (!done)
            {
                int received = Receive(header, objectKind, "*");
                foreach ((nlmsghdr reply, int offset) in Messages(received))
                {
                    if (reply.nlmsg_seq != sequence)
                    {
                        continue;
                    }
                    interrupted |= (reply.nlmsg_flags & Rtnl.NLM_F_DUMP_INTR) != 0;
                    if (reply.nlmsg_type == Rtnl.NLMSG_DONE)
                    {
                        done = true;
                        break;
                    }
                    if (reply.nlmsg_type == Rtnl.NLMSG_ERROR)
                    {
                        ThrowIfError(reply, offset, header, objectKind, "*");
                        done = true;
                        break;
                    }
                    messages.Add(new NetlinkMessage(reply.nlmsg_type, Payload(reply, offset).ToArray()));
                }
            }
            if (!interrupted || attempt == MaxDumpAttempts)
            {
                return messages;
            }
        }
    }

    private void Send(ReadOnlySpan<byte> request, in nlmsghdr header, string objectKind, string objectName)
    {
        bool added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            for (int again = 0; ; again++)
            {
                long sent;
                fixed (byte* data = request)
                {
                    sent = LibC.send(_handle.Fd, data, (size_t)request.Length, 0);
                }
                if (sent >= 0)
                {
                    return;
                }
                int errno = LibC.errno;
                if (errno == LibC.EINTR || (errno == LibC.EAGAIN && again < MaxAgainRetries))
                {
                    continue;
                }
                throw new NetlinkException(Rtnl.MessageTypeName(header.nlmsg_type), objectKind, objectName, errno, "sending the request");
            }
        }
        finally
        {
            _handle.DangerousRelease();
        }
    }

    private int Receive(in nlmsghdr request, string objectKind, string objectName)
    {
        bool added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            for (int again = 0; ; again++)
            {
                long received;
                fixed (byte* data = _receiveBuffer)
                {
                    received = LibC.recv(_handle.Fd, data, (size_t)_receiveBuffer.Length, 0);
                }
                if (received >= 0)
                {
                    return (int)received;
                }
                int errno = LibC.errno;
                if (errno == LibC.EINTR || (errno == LibC.EAGAIN && again < MaxAgainRetries))
                {
                    continue;
                }
                throw new NetlinkException(Rtnl.MessageTypeName(request.nlmsg_type), objectKind, objectName, errno, "reading the reply");
            }
        }
        finally
        {
            _handle.DangerousRelease();
        }
    }

    /// <summary>The messages in the first <paramref name="length"/> bytes of the receive buffer.</summary>
    private List<(nlmsghdr Header, int Offset)> Messages(int length)
    {
        var result = new List<(nlmsghdr, int)>();
        int headerSize = sizeof(nlmsghdr);
        int offset = 0;
        while (offset + headerSize <= length)
        {
            nlmsghdr header = MemoryMarshal.Read<nlmsghdr>(_receiveBuffer.AsSpan(offset));
            if (header.nlmsg_len < headerSize || offset + header.nlmsg_len > length)
            {
                break;
            }
            result.Add((header, offset));
            offset += NetlinkMessageWriter.Align((int)header.nlmsg_len);
        }
        return result;
    }

    private ReadOnlySpan<byte> Payload(in nlmsghdr header, int offset) =>
        _receiveBuffer.AsSpan(offset + sizeof(nlmsghdr), (int)header.nlmsg_len - sizeof(nlmsghdr));

    private void ThrowIfError(in nlmsghdr reply, int offset, in nlmsghdr request, string objectKind, string objectName)
    {
        ReadOnlySpan<byte> payload = Payload(reply, offset);
        if (payload.Length < sizeof(nlmsgerr))
        {
            throw new NetlinkException(Rtnl.MessageTypeName(request.nlmsg_type), objectKind, objectName, NetlinkException.EINVAL, "truncated error message");
        }
        nlmsgerr error = MemoryMarshal.Read<nlmsgerr>(payload);
        if (error.error == 0)
        {
            return;
        }
        string? kernelMessage = null;
        if ((reply.nlmsg_flags & Rtnl.NLM_F_ACK_TLVS) != 0)
        {
            int tlvOffset = sizeof(nlmsgerr);
            if ((reply.nlmsg_flags & Rtnl.NLM_F_CAPPED) == 0)
            {
                tlvOffset += NetlinkMessageWriter.Align((int)error.msg.nlmsg_len - sizeof(nlmsghdr));
            }
            if (tlvOffset <= payload.Length)
            {
                var attributes = new NetlinkAttributeReader(payload[tlvOffset..]);
                while (attributes.MoveNext())
                {
                    if (attributes.Type == Rtnl.NLMSGERR_ATTR_MSG)
                    {
                        kernelMessage = "kernel: " + NetlinkAttributeReader.ReadString(attributes.Payload);
                    }
                }
            }
        }
        throw new NetlinkException(Rtnl.MessageTypeName(request.nlmsg_type), objectKind, objectName, -error.error, kernelMessage);
    }

    public void Dispose() => _handle.Dispose();
}
