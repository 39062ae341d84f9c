namespace Appliance.Netfilter.Linux;

/// <summary>
/// Builds the exception a <see cref="NetlinkSocket"/> throws, so each caller keeps its own
/// exception type: <paramref name="operation"/> (RTM_NEWLINK, socket, ...), the object kind and
/// name, the positive errno, and the kernel's extended-ACK text or what went wrong.
/// </summary>
internal delegate Exception NetlinkErrorFactory(string operation, string objectKind, string objectName, int errno, string? detail);
