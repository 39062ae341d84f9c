using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Appliance.Netfilter.Linux;

/// <summary>
/// A netlink socket (NETLINK_ROUTE, NETLINK_NETFILTER, ...) in the network namespace of the
/// thread that opened it: sends one request at a time and reads its ACK, reply or dump. EINTR
/// and EAGAIN are retried; a kernel error becomes the caller's exception (see
/// <see cref="NetlinkErrorFactory"/>) naming the operation, object and errno, with the
/// extended-ACK text when the kernel gave one. Not thread-safe: callers serialize.
/// </summary>
internal sealed unsafe class NetlinkSocket : IDisposable
{
    private const int ReceiveBufferSize = 64 * 1024;
    private const int MaxDumpAttempts = 5;
    private const int MaxAgainRetries = 1000;

    private readonly NetlinkSocketHandle _handle;
    private readonly byte[] _receiveBuffer = new byte[ReceiveBufferSize];
    private readonly NetlinkErrorFactory _error;
    private readonly Func<ushort, string> _messageTypeName;
    private uint _sequence;

    private NetlinkSocket(NetlinkSocketHandle handle, NetlinkErrorFactory error, Func<ushort, string> messageTypeName)
    {
        _handle = handle;
        _error = error;
        _messageTypeName = messageTypeName;
        _sequence = (uint)Environment.TickCount;
    }

    /// <summary>
    /// Opens a socket of <paramref name="protocol"/> (<paramref name="protocolName"/>, e.g.
    /// "NETLINK_ROUTE", names it in errors) in the calling thread's network namespace. Failures
    /// are thrown as <paramref name="error"/> builds them; <paramref name="messageTypeName"/>
    /// names a request's message type (RTM_NEWLINK) as the operation in those errors.
    /// </summary>
    public static NetlinkSocket Open(int protocol, string protocolName, NetlinkErrorFactory error, Func<ushort, string> messageTypeName)
    {
        int fd = LibC.socket(NetlinkConstants.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, protocol);
        if (fd < 0)
        {
            throw error("socket", "AF_NETLINK", protocolName, LibC.errno, null);
        }
        var handle = new NetlinkSocketHandle(fd);
        try
        {
            var address = new sockaddr_nl { nl_family = NetlinkConstants.AF_NETLINK };
            if (LibC.bind(fd, (sockaddr*)&address, (socklen_t)sizeof(sockaddr_nl)) != 0)
            {
                throw error("bind", "AF_NETLINK", protocolName, LibC.errno, null);
            }
            int on = 1;
            // Best effort: without them errors are still reported, only with less text.
            LibC.setsockopt(fd, NetlinkConstants.SOL_NETLINK, NetlinkConstants.NETLINK_EXT_ACK, &on, (socklen_t)sizeof(int));
            LibC.setsockopt(fd, NetlinkConstants.SOL_NETLINK, NetlinkConstants.NETLINK_CAP_ACK, &on, (socklen_t)sizeof(int));
            return new NetlinkSocket(handle, error, messageTypeName);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public uint NextSequence() => unchecked(++_sequence);

    /// <summary>Sends a request built with NLM_F_ACK and waits for its ACK.</summary>
    public void Execute(ReadOnlySpan<byte> request, string objectKind, string objectName) =>
        Transact(request, objectKind, objectName);

    /// <summary>Sends a request that has one reply message (RTM_GETLINK by name); null never.</summary>
    public NetlinkMessage Get(ReadOnlySpan<byte> request, string objectKind, string objectName)
    {
        if (Transact(request, objectKind, objectName) is { } reply)
        {
            return reply;
        }
        nlmsghdr header = MemoryMarshal.Read<nlmsghdr>(request);
        throw _error(_messageTypeName(header.nlmsg_type), objectKind, objectName, LibC.ENODEV, "no reply");
    }

    /// <summary>
    /// Sends one request and reads its answer: the last reply message before the ACK (null when
    /// there was none), or the first reply when the request did not ask for an ACK.
    /// </summary>
    private NetlinkMessage? Transact(ReadOnlySpan<byte> request, string objectKind, string objectName)
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
                if (reply.nlmsg_type == NetlinkConstants.NLMSG_ERROR)
                {
                    ThrowIfError(reply, offset, header, objectKind, objectName);
                    return result;
                }
                result = new NetlinkMessage(reply.nlmsg_type, Payload(reply, offset).ToArray());
                if ((header.nlmsg_flags & NetlinkConstants.NLM_F_ACK) == 0)
                {
                    return result;
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
                    interrupted |= (reply.nlmsg_flags & NetlinkConstants.NLM_F_DUMP_INTR) != 0;
                    if (reply.nlmsg_type == NetlinkConstants.NLMSG_DONE)
                    {
                        done = true;
                        break;
                    }
                    if (reply.nlmsg_type == NetlinkConstants.NLMSG_ERROR)
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

    private void Send(ReadOnlySpan<byte> request, in nlmsghdr header, string objectKind, string objectName) =>
        Transfer(receive: false, request, header.nlmsg_type, objectKind, objectName);

    private int Receive(in nlmsghdr request, string objectKind, string objectName) =>
        Transfer(receive: true, default, request.nlmsg_type, objectKind, objectName);

    /// <summary>One send of <paramref name="request"/> or recv into the receive buffer, retrying EINTR and EAGAIN.</summary>
    private int Transfer(bool receive, ReadOnlySpan<byte> request, ushort messageType, string objectKind, string objectName)
    {
        bool added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            for (int again = 0; ; again++)
            {
                long done;
                if (receive)
                {
                    fixed (byte* data = _receiveBuffer)
                    {
                        done = LibC.recv(_handle.Fd, data, (size_t)_receiveBuffer.Length, 0);
                    }
                }
                else
                {
                    fixed (byte* data = request)
                    {
                        done = LibC.send(_handle.Fd, data, (size_t)request.Length, 0);
                    }
                }
                if (done >= 0)
                {
                    return (int)done;
                }
                int errno = LibC.errno;
                if (errno == LibC.EINTR || (errno == LibC.EAGAIN && again < MaxAgainRetries))
                {
                    continue;
                }
                throw _error(_messageTypeName(messageType), objectKind, objectName, errno, receive ? "reading the reply" : "sending the request");
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
            offset += NetlinkConstants.Align((int)header.nlmsg_len);
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
            throw _error(_messageTypeName(request.nlmsg_type), objectKind, objectName, LibC.EINVAL, "truncated error message");
        }
        nlmsgerr error = MemoryMarshal.Read<nlmsgerr>(payload);
        if (error.error == 0)
        {
            return;
        }
        string? kernelMessage = null;
        if ((reply.nlmsg_flags & NetlinkConstants.NLM_F_ACK_TLVS) != 0)
        {
            int tlvOffset = sizeof(nlmsgerr);
            if ((reply.nlmsg_flags & NetlinkConstants.NLM_F_CAPPED) == 0)
            {
                tlvOffset += NetlinkConstants.Align((int)error.msg.nlmsg_len - sizeof(nlmsghdr));
            }
            if (tlvOffset <= payload.Length)
            {
                var attributes = new NetlinkAttributeReader(payload[tlvOffset..]);
                while (attributes.MoveNext())
                {
                    if (attributes.Type == NetlinkConstants.NLMSGERR_ATTR_MSG)
                    {
                        kernelMessage = "kernel: " + NetlinkAttributeReader.ReadString(attributes.Payload);
                    }
                }
            }
        }
        throw _error(_messageTypeName(request.nlmsg_type), objectKind, objectName, -error.error, kernelMessage);
    }

    public void Dispose() => _handle.Dispose();
}
