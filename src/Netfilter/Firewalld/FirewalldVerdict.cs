using Appliance.Netfilter.Inspection;

namespace Appliance.Netfilter.Firewalld;

/// <summary>
/// Whether firewalld lets a flow through and which of its objects decides: <see cref="DecidedBy"/>
/// names it as firewall-cmd would ("policy appliance-stacks", "zone public"), <see cref="Rule"/>
/// is the rich rule when one decides, <see cref="Explanation"/> says it in plain words.
/// </summary>
public sealed record FirewalldVerdict(bool Accepted, string DecidedBy, string? Rule, string Explanation)
{
    /// <summary>As <c>appliance fw explain</c> shows flows: table "inet firewalld", the deciding zone or policy as the chain.</summary>
    public FlowExplanation ToFlowExplanation(FlowQuery flow) => new(flow, Accepted, "inet firewalld", DecidedBy, null, Explanation)
    {
        Notes = Rule is null ? [] : [$"firewalld rule: {Rule}"],
    };

    public override string ToString() => $"{(Accepted ? "passes" : "rejected")}: {DecidedBy}{(Rule is null ? "" : $" rule '{Rule}'")} — {Explanation}";
}
