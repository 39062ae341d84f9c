using Appliance.Netfilter.Linux;

namespace Appliance.Orchestrator.Networking;

/// <summary>
/// A netlink request failed. Names the operation, the object and the errno:
/// <c>netlink RTM_NEWLINK veth 'ap-gitlab-db' failed: File exists (EEXIST)</c>, plus the
/// kernel's own explanation when it gave one (extended ACK).
/// </summary>
public sealed class NetlinkException : NetworkingException
{
    public NetlinkException(string operation, string objectKind, string objectName, int errno, string? kernelMessage = null)
        : base(Format(operation, objectKind, objectName, errno, kernelMessage))
    {
        Operation = operation;
        ObjectKind = objectKind;
        ObjectName = objectName;
        Errno = errno;
        KernelMessage = kernelMessage;
    }

    /// <summary>RTM_NEWLINK, RTM_NEWADDR, socket, ...</summary>
    public string Operation { get; }

    /// <summary>bridge, veth, link, address, route, ...</summary>
    public string ObjectKind { get; }

    public string ObjectName { get; }

    /// <summary>The positive errno (17 for EEXIST).</summary>
    public int Errno { get; }

    /// <summary>The kernel's extended-ACK message, e.g. "Unknown device type.", when there was one.</summary>
    public string? KernelMessage { get; }

    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int ENOENT = 2;
    public const int EBADF = 9;
    public const int EINVAL = 22;

    private static string Format(string operation, string objectKind, string objectName, int errno, string? kernelMessage)
    {
        string text = $"netlink {operation} {objectKind} '{objectName}' failed: {LinuxNative.ErrnoText(errno)}";
        return string.IsNullOrEmpty(kernelMessage) ? text : $"{text}; kernel says: {kernelMessage}";
    }
}
