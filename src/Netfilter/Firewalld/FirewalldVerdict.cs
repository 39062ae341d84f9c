using Appliance.Netfilter.Inspection;

namespace Appliance.Netfilter.Firewalld;

/// <summary>
/// Whether firewalld lets a flow through and which of its objects decides: <see cref="DecidedBy"/>
/// names it as firewall-cmd would ("policy appliance-stacks", "zone public"), <see cref="Rule"/>
/// is the rich rule when one decides, <see cref="Explanation"/> says it in plain words, and
/// <see cref="Fix"/> what the owner can do when a rejected flow should pass.
/// </summary>
public sealed record FirewalldVerdict(bool Accepted, string DecidedBy, string? Rule, string Explanation)
{
    /// <summary>For a rejected flow: how to let it through (or why it stays closed by design); null when it passes.</summary>
    public string? Fix { get; init; }

    /// <summary>As <c>appliance fw explain</c> shows flows: table "inet firewalld", the deciding zone or policy as the chain.</summary>
    public FlowExplanation ToFlowExplanation(FlowQuery flow) => new(flow, Accepted, "inet firewalld", DecidedBy, null, Explanation)
    {
        Notes = new[] { Rule is null ? null : $"firewalld rule: {Rule}", Fix is null ? null : $"Fix: {Fix}" }.OfType<string>().ToList(),
    };

    public override string ToString() => $"{(Accepted ? "passes" : "rejected")}: {DecidedBy}{(Rule is null ? "" : $" rule '{Rule}'")} — {Explanation}{(Fix is null ? "" : $" Fix: {Fix}")}";
}
