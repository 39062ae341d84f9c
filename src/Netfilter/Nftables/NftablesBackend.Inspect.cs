using System.Text.Json.Nodes;
using Appliance.Netfilter.Inspection;
using Appliance.Netfilter.Intent;

namespace Appliance.Netfilter.Nftables;

public sealed partial class NftablesBackend
{
    private string OwnTable => _applied?.Table ?? _appliedIntent?.TableName ?? _options.TableName;

    private PacketMark OwnMark => _appliedIntent?.Mark ?? _options.Mark;

    /// <summary>
    /// Base chains of other tables (nftables, iptables-nft, ufw) on the input or forward hook
    /// whose policy or rules would drop traffic Appliance allows, each with the exact fix.
    /// Read only: Appliance never edits another tool's table.
    /// </summary>
    public async Task<IReadOnlyList<ForeignBlocker>> FindForeignBlockersAsync(CancellationToken cancellationToken = default)
    {
        JsonArray ruleset = await ListRulesetAsync(cancellationToken);
        return RulesetInspector.FindBlockers(ruleset, OwnTable, OwnMark);
    }

    /// <summary>Whether a new connection passes and which rule of which table decides, from the live ruleset.</summary>
    public async Task<FlowExplanation> ExplainAsync(FlowQuery flow, CancellationToken cancellationToken = default)
    {
        JsonArray ruleset = await ListRulesetAsync(cancellationToken);
        return RulesetInspector.Explain(ruleset, OwnTable, OwnMark, flow);
    }

    /// <summary>The published ports in Appliance's table as the kernel has it now, with who may open each (none when the table is not loaded).</summary>
    public async Task<IReadOnlyList<LivePublishedPort>> ListPublishedPortsAsync(CancellationToken cancellationToken = default)
    {
        JsonArray ruleset = await ListRulesetAsync(cancellationToken);
        return RulesetInspector.PublishedPorts(ruleset, OwnTable);
    }

    /// <summary>Appliance's table as the kernel has it now, in nft's own text syntax (for people to read; never parsed), or null when absent.</summary>
    public async Task<string?> ListOwnTableTextAsync(CancellationToken cancellationToken = default)
    {
        NftContext context = await ContextAsync(cancellationToken);
        return await context.ListTableTextAsync(OwnTable, cancellationToken);
    }
}
