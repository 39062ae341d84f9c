namespace Appliance.Netfilter.Inspection;

/// <summary>
/// A base chain of another table (nftables, iptables-nft, ufw, firewalld) on the input or forward
/// hook that would drop traffic Appliance allows, since in nftables a drop in any table is final.
/// </summary>
public sealed record ForeignBlocker(string Family, string Table, string Chain, string Hook, int Priority, long? Handle,
    string Problem, string Fix)
{
    public override string ToString() =>
        $"table {Family} {Table}, chain {Chain} (hook {Hook}, priority {Priority}{(Handle is null ? "" : $", rule handle {Handle}")}): {Problem}. Fix: {Fix}";
}
