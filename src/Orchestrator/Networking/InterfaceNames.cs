using System.Security.Cryptography;
using System.Text;

namespace Appliance.Orchestrator.Networking;

/// <summary>
/// Names of the links Appliance creates, always within IFNAMSIZ (15 bytes) and deterministic, so
/// a restarted daemon finds them again. A stack's bridge is <c>ap-STACK</c> when that fits;
/// a longer (or unusual) stack name becomes <c>ap-</c> + its first 6 characters + <c>.</c> + 5
/// hex digits of its SHA-256: the '.' never occurs in a stack name, so a shortened name never
/// equals an unshortened one. A container's host-side veth end is <c>ve-</c> + up to 5 characters
/// of the container name + <c>.</c> + 6 hex digits of SHA-256(stack, container): unique per
/// (stack, container) even when names share a prefix.
/// </summary>
public static class InterfaceNames
{
    public const int MaxLength = 15;
    public const string BridgePrefix = "ap-";
    public const string VethPrefix = "ve-";

    /// <summary>The name of a container's end of its veth pair, inside the container.</summary>
    public const string ContainerInterface = "eth0";

    public static string Bridge(string stackName)
    {
        ArgumentException.ThrowIfNullOrEmpty(stackName);
        if (BridgePrefix.Length + stackName.Length <= MaxLength && stackName.All(IsPlain))
        {
            return BridgePrefix + stackName;
        }
        return BridgePrefix + Readable(stackName, 6) + "." + Hash(stackName, 5);
    }

    public static string HostVeth(string stackName, string containerName)
    {
        ArgumentException.ThrowIfNullOrEmpty(stackName);
        ArgumentException.ThrowIfNullOrEmpty(containerName);
        return VethPrefix + Readable(containerName, 5) + "." + Hash(stackName + "\0" + containerName, 6);
    }

    /// <summary>What the kernel accepts (dev_valid_name): 1-15 bytes, no '/', ':' or whitespace, not "." or "..".</summary>
    public static bool IsValid(string name) =>
        !string.IsNullOrEmpty(name) && Encoding.UTF8.GetByteCount(name) <= MaxLength && name is not "." and not ".." &&
        !name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c) || char.IsControl(c));

    private static bool IsPlain(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_';

    private static string Readable(string name, int length)
    {
        var builder = new StringBuilder(length);
        foreach (char c in name.ToLowerInvariant())
        {
            if (builder.Length == length)
            {
                break;
            }
            if (IsPlain(c))
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }

    private static string Hash(string text, int hexDigits) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..hexDigits];
}
