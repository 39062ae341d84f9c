namespace Appliance.Orchestrator.Networking;

/// <summary>A network interface as the kernel reports it (RTM_GETLINK).</summary>
/// <param name="Kind">IFLA_INFO_KIND: "bridge", "veth", ...; null for physical links and lo.</param>
/// <param name="MasterIndex">The bridge this link is enslaved to, if any.</param>
public sealed record LinkInfo(int Index, string Name, string? Kind, int? MasterIndex, bool IsUp);
