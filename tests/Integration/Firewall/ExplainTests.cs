using System.Net;
using Appliance.Netfilter.Inspection;
using Appliance.Netfilter.Intent;
using Appliance.Netfilter.Nftables;
using Appliance.TestSupport;
using Appliance.Web.Cli;

namespace Appliance.Integration.Tests.Firewall;

/// <summary>Explain and foreign-firewall findings read from the live ruleset of the test box's nas.</summary>
public sealed class ExplainTests
{
    /// <summary>Runs the real `appliance` CLI (its own process: no shared Console with parallel tests).</summary>
    private static Task<CommandResult> ApplianceAsync(params string[] args) =>
        Command.RunAsync(["dotnet", typeof(ApplianceCli).Assembly.Location, .. args], TimeSpan.FromMinutes(1));

    private static FlowQuery Flow(string from, string to) => FlowQuery.Parse(from, to);

    [Fact]
    public async Task Explain_NamesTheDecidingRule_ForEachKindOfFlow()
    {
        await using NasStack nas = await NasStack.CreateAsync();
        await nas.LoadHostFirewallAsync(withMarkRule: true);
        await using NftablesBackend backend = nas.Backend(watchDrift: false);
        await backend.ApplyAsync(NasStack.Intent());

        FlowExplanation lan = await backend.ExplainAsync(Flow(TestBox.LaptopAddress, $"{TestBox.NasLanAddress}:10022/tcp"));
        FlowExplanation wan = await backend.ExplainAsync(Flow(TestBox.WanClientAddress, $"{TestBox.NasWanAddress}:10022/tcp"));
        FlowExplanation db = await backend.ExplainAsync(Flow(TestBox.LaptopAddress, $"{NasStack.DbAddress}:5432/tcp"));
        FlowExplanation app = await backend.ExplainAsync(Flow(NasStack.AppAddress, $"{NasStack.DbAddress}:5432/tcp"));
        FlowExplanation samba = await backend.ExplainAsync(Flow(TestBox.LaptopAddress, $"{TestBox.NasLanAddress}:{NasStack.SambaPort}/tcp"));
        FlowExplanation admin = await backend.ExplainAsync(Flow(TestBox.LaptopAddress, $"{TestBox.NasLanAddress}:{NasStack.AdminUiPort}/tcp"));

        Assert.True(lan.Passes, lan.ToString());
        Assert.Equal(NftCompiler.ChainStacks, lan.Chain);
        Assert.NotNull(lan.Handle);
        Assert.Contains("192.168.50.0/24", lan.Decision);
        Assert.False(wan.Passes, wan.ToString());
        Assert.Contains("not exposed", wan.Decision);
        Assert.False(db.Passes, db.ToString());
        Assert.Contains("container address", db.Decision);
        Assert.True(app.Passes, app.ToString());
        Assert.Contains(app.Notes, n => n.Contains("inet host", StringComparison.Ordinal));
        Assert.False(samba.Passes, samba.ToString());
        Assert.Equal(NftCompiler.ChainInput, samba.Chain);
        Assert.True(admin.Passes, admin.ToString());
        Assert.Empty(await backend.FindForeignBlockersAsync());
    }

    [Fact]
    public async Task HostFirewallWithoutMarkRule_IsReportedWithTheFix_AndExplainBlamesIt()
    {
        await using NasStack nas = await NasStack.CreateAsync();
        await nas.LoadHostFirewallAsync(withMarkRule: false);
        await using NftablesBackend backend = nas.Backend(watchDrift: false);
        await backend.ApplyAsync(NasStack.Intent());

        IReadOnlyList<ForeignBlocker> blockers = await backend.FindForeignBlockersAsync();
        FlowExplanation app = await backend.ExplainAsync(Flow(NasStack.AppAddress, $"{NasStack.DbAddress}:5432/tcp"));

        Assert.Equal(["forward", "input"], blockers.Select(b => b.Hook).Order());
        Assert.All(blockers, b => Assert.Equal("host", b.Table));
        Assert.All(blockers, b => Assert.Contains("nft insert rule inet host", b.Fix));
        Assert.Contains(PacketMark.Default.HostRule, blockers[0].Fix);
        Assert.False(app.Passes);
        Assert.Equal("inet host", app.Table);
        Assert.Equal("forward", app.Chain);

        // The fix the report gives works with real packets.
        Assert.Null(await NasStack.ConnectAsync(nas.App, NasStack.DbAddress, 5432));
        ForeignBlocker forward = blockers.Single(b => b.Hook == "forward");
        (await nas.Box.ExecAsync(nas.Nas, "nft", "insert", "rule", "inet", "host", "forward", "meta", "mark", "&", "0x01000000", "==", "0x01000000", "accept")).EnsureSuccess();
        Assert.Equal("postgresql\n", await NasStack.ConnectAsync(nas.App, NasStack.DbAddress, 5432));
        Assert.Single(await backend.FindForeignBlockersAsync());
    }

    [Fact]
    public async Task Cli_FwExplain_PrintsTheDecision()
    {
        await using NasStack nas = await NasStack.CreateAsync();
        await using NftablesBackend backend = nas.Backend(watchDrift: false);
        await backend.ApplyAsync(NasStack.Intent());

        CommandResult result = await ApplianceAsync("fw", "explain", "--netns", nas.Nas.NamespaceName,
            "--from", TestBox.WanClientAddress, "--to", $"{TestBox.NasWanAddress}:10080/tcp");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("PASSES", result.Stdout);
        Assert.Contains("everyone (internet)", result.Stdout);
        Assert.Contains("10.88.1.3:80", result.Stdout);
    }

    [Fact]
    public async Task Cli_FwForeign_NamesTheHostTableAndTheFix()
    {
        await using NasStack nas = await NasStack.CreateAsync();
        await nas.LoadHostFirewallAsync(withMarkRule: false);

        CommandResult result = await ApplianceAsync("fw", "foreign", "--netns", nas.Nas.NamespaceName);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("table inet host, chain forward (hook forward, priority 0)", result.Stdout);
        Assert.Contains("Fix: `nft insert rule inet host forward meta mark & 0x01000000 == 0x01000000 accept`", result.Stdout);
    }
}
