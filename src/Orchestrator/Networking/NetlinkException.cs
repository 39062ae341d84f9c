using Appliance.Netfilter.Linux;

namespace Appliance.Orchestrator.Networking;

/// <summary>
/// A netlink request failed. Names the operation, the object and the errno:
/// <c>netlink RTM_NEWLINK veth 'ap-gitlab-db' failed: File exists (EEXIST)</c>, plus the
/// kernel's own explanation when it gave one (extended ACK) or what Appliance found.
/// </summary>
public sealed class NetlinkException : NetworkingException
{
    public NetlinkException(string operation, string objectKind, string objectName, int errno, string? detail = null)
        : base(Format(operation, objectKind, objectName, errno, detail))
    {
        Operation = operation;
        ObjectKind = objectKind;
        ObjectName = objectName;
        Errno = errno;
        Detail = detail;
    }

    /// <summary>RTM_NEWLINK, RTM_NEWADDR, socket, ...</summary>
    public string Operation { get; }

    /// <summary>bridge, veth, link, address, route, ...</summary>
    public string ObjectKind { get; }

    public string ObjectName { get; }

    /// <summary>The positive errno (17 for EEXIST).</summary>
    public int Errno { get; }

    /// <summary>
    /// More about the failure: the kernel's extended-ACK text ("kernel: Unknown device type.") or
    /// what Appliance found (the missing namespace path, the unexpected address).
    /// </summary>
    public string? Detail { get; }

    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int ENOENT = 2;
    public const int EBADF = 9;
    public const int EINVAL = 22;

    private static string Format(string operation, string objectKind, string objectName, int errno, string? detail)
    {
        string text = $"netlink {operation} {objectKind} '{objectName}' failed: {LinuxNative.ErrnoText(errno)}";
        return string.IsNullOrEmpty(detail) ? text : $"{text}; {detail}";
    }
}
