namespace Appliance.Netfilter.Inspection;

/// <summary>Whether a flow passes, which rule of which table decided, and why in plain words.</summary>
public sealed record FlowExplanation(FlowQuery Flow, bool Passes, string Table, string Chain, long? Handle, string Decision)
{
    /// <summary>Further facts (the DNAT target, other tables that also see the flow).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    public override string ToString() =>
        $"{Flow}: {(Passes ? "PASSES" : "DROPPED")} — {Decision} (table {Table}, chain {Chain}{(Handle is null ? ", policy" : $", rule handle {Handle}")})"
        + string.Concat(Notes.Select(n => "\n  " + n));
}
