using System.Net;

namespace Appliance.Orchestrator.Networking;

/// <summary>An IPv4 route (RTM_GETROUTE) in any table.</summary>
public sealed record RouteInfo(IPNetwork Destination, IPAddress? Gateway, int? OutputLinkIndex, int Table)
{
    public bool IsDefault => Destination.PrefixLength == 0;

    public override string ToString() =>
        $"{Destination}{(Gateway is null ? "" : $" via {Gateway}")}{(OutputLinkIndex is { } i ? $" dev #{i}" : "")} table {Table}";
}
