using System.Net;
using Appliance.Netfilter.Intent;

namespace Appliance.Netfilter.Inspection;

/// <summary>A flow to explain: a new connection from <see cref="From"/> to <see cref="To"/>:<see cref="Port"/>.</summary>
public sealed record FlowQuery(IPAddress From, IPAddress To, int Port, TransportProtocol Protocol = TransportProtocol.Tcp)
{
    /// <summary>Parses "IP:PORT/PROTO" (PROTO tcp or udp, default tcp), e.g. "192.168.50.1:10080/tcp".</summary>
    public static FlowQuery Parse(string from, string to)
    {
        if (!IPAddress.TryParse(from, out IPAddress? source))
        {
            throw new FormatException($"--from '{from}' is not an IPv4 address; e.g. 192.168.50.10");
        }
        string rest = to;
        TransportProtocol protocol = TransportProtocol.Tcp;
        int slash = rest.IndexOf('/');
        if (slash >= 0)
        {
            protocol = rest[(slash + 1)..].ToLowerInvariant() switch
            {
                "tcp" => TransportProtocol.Tcp,
                "udp" => TransportProtocol.Udp,
                _ => throw new FormatException($"--to '{to}': protocol '{rest[(slash + 1)..]}' is not tcp or udp"),
            };
            rest = rest[..slash];
        }
        int colon = rest.LastIndexOf(':');
        if (colon < 0 || !IPAddress.TryParse(rest[..colon], out IPAddress? target) || !int.TryParse(rest[(colon + 1)..], out int port) || port is < 1 or > 65535)
        {
            throw new FormatException($"--to '{to}' is not IP:PORT[/tcp|udp]; e.g. 192.168.50.1:10080/tcp");
        }
        return new FlowQuery(source, target, port, protocol);
    }

    public override string ToString() => $"{From} -> {To}:{Port}/{Protocol.ToString().ToLowerInvariant()}";
}
