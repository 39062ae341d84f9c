namespace Appliance.Netfilter.Firewalld;

/// <summary>What one apply changed in firewalld (empty when it already held everything) and how long it took.</summary>
public sealed record FirewalldApplyResult(IReadOnlyList<string> Changes, TimeSpan Elapsed)
{
    public bool Changed => Changes.Count > 0;

    public bool Reloaded => Changes.Contains("reloaded firewalld");
}
