using System.Net;
using Appliance.Netfilter.Intent;

namespace Appliance.Netfilter.Nftables;

/// <summary>Whether a new intent removes or narrows the owner's own access (admin UI, SSH).</summary>
internal static class OwnerAccess
{
    /// <summary>A description of what is lost, or null when every source that reached an owner service still does.</summary>
    public static string? Lost(FirewallIntent before, FirewallIntent after)
    {
        var lost = new List<string>();
        foreach (HostService old in before.HostServices.Where(s => s.IsOwnerAccess))
        {
            HostService? now = after.HostServices.FirstOrDefault(s => s.Name == old.Name);
            if (now is null)
            {
                lost.Add($"{old.Name} removed");
                continue;
            }
            if (now.Port != old.Port || now.Protocol != old.Protocol)
            {
                lost.Add($"{old.Name} moved from {old.Port} to {now.Port}");
                continue;
            }
            IReadOnlyList<IPNetwork> was = old.AllowedFrom.ResolveSources(before.LanSubnets);
            IReadOnlyList<IPNetwork> @is = now.AllowedFrom.ResolveSources(after.LanSubnets);
            List<IPNetwork> cut = was.Where(w => !@is.Any(n => n.PrefixLength <= w.PrefixLength && n.Contains(w.BaseAddress))).ToList();
            if (cut.Count > 0)
            {
                lost.Add($"{old.Name} no longer allowed from {string.Join(", ", cut)}");
            }
        }
        if (before.TableName != after.TableName && before.HostServices.Any(s => s.IsOwnerAccess))
        {
            lost.Add($"table renamed from '{before.TableName}' to '{after.TableName}'");
        }
        return lost.Count == 0 ? null : string.Join("; ", lost);
    }
}
