using System.Net;
using Appliance.Orchestrator.Stacks.Definition;
using Appliance.Orchestrator.Stacks.Yaml;

namespace Appliance.Orchestrator.Stacks.Parsing;

internal sealed partial class StackParser
{
    private const string PortSyntax = "expected [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp] (ranges like 8000-8010:8000-8010 allowed), e.g. \"10022:22\" or \"127.0.0.1:8080:80\"";

    private List<PortDefinition> Ports(YNode node, string path) =>
        ShortOrLongList(node, path, "a list of port mappings like - \"8080:80\"", LongPort, ShortPort);

    private PortDefinition? ShortPort(YNode node, string path)
    {
        string? text = Text(node, path, "a port mapping like \"8080:80\"");
        if (text is null)
        {
            return null;
        }
        string? error = TryParseShortPort(text, out string? hostIp, out string? hostPart, out string containerPart, out PortProtocol protocol);
        if (error is not null)
        {
            _d.Error(node.Start, path, $"'{Short(text)}' is not a port mapping: {error}; {PortSyntax}");
            return null;
        }
        return Mapping(node, path, text, hostIp, hostPart, containerPart, protocol);
    }

    /// <summary>Splits <c>[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]</c>; returns an error text or null.</summary>
    internal static string? TryParseShortPort(string text, out string? hostIp, out string? hostPart, out string containerPart, out PortProtocol protocol)
    {
        hostIp = null;
        hostPart = null;
        containerPart = "";
        protocol = PortProtocol.Tcp;
        string s = text.Trim();
        int slash = s.LastIndexOf('/');
        if (slash >= 0)
        {
            string proto = s[(slash + 1)..];
            s = s[..slash];
            switch (proto)
            {
                case "tcp":
                    break;
                case "udp":
                    protocol = PortProtocol.Udp;
                    break;
                case "sctp":
                    return "sctp is not supported (tcp or udp)";
                default:
                    return $"'{proto}' is not a protocol (tcp or udp)";
            }
        }
        if (s.StartsWith('['))
        {
            int close = s.IndexOf(']');
            if (close < 0 || close + 1 >= s.Length || s[close + 1] != ':')
            {
                return "an IPv6 host address is written in brackets followed by ':', like [::1]:8080:80";
            }
            hostIp = s[1..close];
            s = s[(close + 2)..];
            int colon = s.IndexOf(':');
            if (colon < 0)
            {
                return "a host address needs a host port too";
            }
            hostPart = s[..colon];
            containerPart = s[(colon + 1)..];
            return containerPart.Contains(':') ? "too many ':'" : null;
        }
        string[] parts = s.Split(':');
        switch (parts.Length)
        {
            case 1:
                containerPart = parts[0];
                return null;
            case 2:
                hostPart = parts[0];
                containerPart = parts[1];
                return null;
            case 3 when parts[2] is "tcp" or "udp":
                return $"the protocol follows a '/', not a ':': write \"{parts[0]}:{parts[1]}/{parts[2]}\"";
            case 3:
                hostIp = parts[0];
                hostPart = parts[1];
                containerPart = parts[2];
                return null;
            default:
                return "too many ':' (write an IPv6 host address in brackets, like [::1]:8080:80)";
        }
    }

    private PortDefinition? Mapping(YNode node, string path, string text, string? hostIp, string? hostPart, string containerPart, PortProtocol protocol)
    {
        if (hostIp is not null)
        {
            if (hostIp.Length == 0)
            {
                hostIp = null;
            }
            else if (!IPAddress.TryParse(hostIp, out _))
            {
                _d.Error(node.Start, path, $"'{Short(hostIp)}' in '{Short(text)}' is not an IP address; {PortSyntax}");
                return null;
            }
        }
        if (!TryParseRange(containerPart, out int containerStart, out int containerEnd, out string? containerError))
        {
            _d.Error(node.Start, path, $"container port '{Short(containerPart)}' in '{Short(text)}' {containerError}; {PortSyntax}");
            return null;
        }
        if (string.IsNullOrEmpty(hostPart))
        {
            _d.Error(node.Start, path, $"'{Short(text)}' gives no host port: Appliance publishes only fixed host ports (never a random one); write HOST_PORT:{containerPart}, e.g. \"{containerStart}:{containerPart}\". Services of the stack reach each other without publishing");
            return null;
        }
        if (!TryParseRange(hostPart, out int hostStart, out int hostEnd, out string? hostError))
        {
            _d.Error(node.Start, path, $"host port '{Short(hostPart)}' in '{Short(text)}' {hostError}; {PortSyntax}");
            return null;
        }
        if (hostEnd - hostStart != containerEnd - containerStart)
        {
            _d.Error(node.Start, path, $"'{Short(text)}' maps {hostEnd - hostStart + 1} host port(s) to {containerEnd - containerStart + 1} container port(s); ranges must be the same size, e.g. \"{hostStart}-{hostStart + (containerEnd - containerStart)}:{containerPart}\"");
            return null;
        }
        return new PortDefinition(hostIp, hostStart, hostEnd, containerStart, containerEnd, protocol, node.Start, path);
    }

    private static bool TryParseRange(string text, out int start, out int end, out string? error)
    {
        start = end = 0;
        int dash = text.IndexOf('-');
        string first = dash < 0 ? text : text[..dash];
        string last = dash < 0 ? text : text[(dash + 1)..];
        if (!TryParsePort(first, out start, out error) || !TryParsePort(last, out end, out error))
        {
            return false;
        }
        if (end < start)
        {
            error = "is a range that ends before it starts";
            return false;
        }
        return true;
    }

    private static bool TryParsePort(string text, out int port, out string? error)
    {
        error = null;
        if (text.Length == 0 || text.Length > 9 || !text.All(char.IsAsciiDigit))
        {
            port = 0;
            error = "is not a number";
            return false;
        }
        port = int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        if (port is < 1 or > 65535)
        {
            error = $"is out of range: {port} is not from 1 to 65535";
            return false;
        }
        return true;
    }

    private PortDefinition? LongPort(YMapping map, string path)
    {
        string? target = null;
        string? published = null;
        string? hostIp = null;
        PortProtocol protocol = PortProtocol.Tcp;
        bool bad = false;
        foreach ((YScalar key, YNode value) in map.Entries)
        {
            string p = Join(path, key.Value);
            switch (key.Value)
            {
                case "target":
                    target = Text(value, p, "a container port number");
                    bad |= target is null;
                    break;
                case "published":
                    published = Text(value, p, "a host port number or range");
                    bad |= published is null;
                    break;
                case "host_ip":
                    hostIp = Text(value, p, "an IP address");
                    bad |= hostIp is null;
                    break;
                case "protocol":
                    string? proto = Text(value, p, "tcp or udp");
                    if (proto == "udp")
                    {
                        protocol = PortProtocol.Udp;
                    }
                    else if (proto != "tcp")
                    {
                        _d.Error(value.Start, p, $"'{Short(proto ?? "")}' is not a protocol; expected tcp or udp");
                        bad = true;
                    }
                    break;
                case "mode":
                    string? mode = Text(value, p, "host or ingress");
                    if (mode is not null and not "host" and not "ingress")
                    {
                        _d.Error(value.Start, p, $"'{Short(mode)}' is not a port mode; expected host or ingress");
                    }
                    break;
                case "name" or "app_protocol":
                    Text(value, p, "a text value");
                    break;
                default:
                    Unknown(key, path, ["target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"]);
                    break;
            }
        }
        if (bad)
        {
            return null;
        }
        if (target is null)
        {
            _d.Error(map.Start, path, "a port mapping needs 'target:' (the container port), e.g. {target: 80, published: 8080}");
            return null;
        }
        string text = $"{(hostIp is null ? "" : hostIp + ":")}{published}:{target}";
        return Mapping(map, path, text, hostIp, published, target, protocol);
    }
}
