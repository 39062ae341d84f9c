using Appliance.Netfilter.Backends;
using Appliance.Netfilter.Errors;
using Appliance.Netfilter.Nftables;
using Appliance.TestSupport;

namespace Appliance.Integration.Tests.Firewall;

/// <summary>The acceptance test of issue 7: the NAS story with real packets, inside a test box.</summary>
public sealed class NasFirewallTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Stack_BehindDenyByDefaultHost_WorksOnlyWithAppliancesRules()
    {
        await using NasStack nas = await NasStack.CreateAsync();
        await nas.LoadHostFirewallAsync(withMarkRule: true);

        // 1. The NAS failure: br_netfilter pushes the bridged frames through the host's forward drop.
        Assert.Null(await NasStack.ConnectAsync(nas.App, NasStack.DbAddress, 5432));

        await using NftablesBackend backend = nas.Backend();
        FirewallApplyResult result = await backend.ApplyAsync(NasStack.Intent());
        Assert.False(result.Incremental);
        Assert.Null(result.PendingUntil);

        // 2. With Appliance's rules: the app reaches its database, the published ports answer by exposure.
        Assert.Equal("postgresql\n", await NasStack.ConnectAsync(nas.App, NasStack.DbAddress, 5432));
        Assert.Equal("gitlab http\n", await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, 10080));
        Assert.Equal("gitlab ssh\n", await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, 10022));
        Assert.Equal("admin ui\n", await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, NasStack.AdminUiPort));
        Assert.Equal("gitlab http\n", await NasStack.ConnectAsync(nas.Box.WanClient!, TestBox.NasWanAddress, 10080));
        // Hairpin: the app reaches its own published port through the host's address.
        Assert.Equal("gitlab http\n", await NasStack.ConnectAsync(nas.App, TestBox.NasLanAddress, 10080));

        // Nothing else answers, the database never from outside.
        string?[] closed = await Task.WhenAll(
            NasStack.ConnectAsync(nas.Box.WanClient!, TestBox.NasWanAddress, 10022),
            NasStack.ConnectAsync(nas.Box.WanClient!, TestBox.NasWanAddress, NasStack.AdminUiPort),
            NasStack.ConnectAsync(nas.Box.WanClient!, TestBox.NasWanAddress, NasStack.SambaPort),
            NasStack.ConnectAsync(nas.Box.WanClient!, TestBox.NasWanAddress, 5432),
            NasStack.ConnectAsync(nas.Box.WanClient!, NasStack.DbAddress, 5432),
            NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, NasStack.SambaPort),
            NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, 5432),
            NasStack.ConnectAsync(nas.Box.Laptop, NasStack.DbAddress, 5432),
            NasStack.ConnectAsync(nas.Box.Laptop, NasStack.AppAddress, 80));
        Assert.All(closed, Assert.Null);

        // Without the mark rule in the host's table, Appliance's accepts are not enough.
        await new NasHost(nas.Box).DeleteHostFirewallAsync();
        await nas.LoadHostFirewallAsync(withMarkRule: false);
        Assert.Null(await NasStack.ConnectAsync(nas.App, NasStack.DbAddress, 5432));
        Assert.Null(await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, 10080));
    }

    [Fact]
    public async Task FlushRuleset_InNas_IsRestoredWithinTwoSeconds()
    {
        await using NasStack nas = await NasStack.CreateAsync();
        await nas.LoadHostFirewallAsync(withMarkRule: true);
        await using NftablesBackend backend = nas.Backend();
        await backend.ApplyAsync(NasStack.Intent());
        Assert.Equal("postgresql\n", await NasStack.ConnectAsync(nas.App, NasStack.DbAddress, 5432));
        Assert.Null(await backend.CheckDriftAsync());

        (await nas.Box.ExecAsync(nas.Nas, "nft", "flush", "ruleset")).EnsureSuccess();

        await Poll.UntilAsync(async () => (await nas.Box.ExecAsync(nas.Nas, "nft", "list", "table", "inet", "appliance")).Succeeded,
            TimeSpan.FromSeconds(2), () => "table inet appliance was not restored");
        FirewallDrift drift = Assert.Single(backend.Drifts);
        Assert.True(drift.TableMissing);
        Assert.Equal("postgresql\n", await NasStack.ConnectAsync(nas.App, NasStack.DbAddress, 5432));
        Assert.Equal("gitlab http\n", await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, 10080));
        Assert.Null(await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, NasStack.SambaPort));
    }

    [Fact]
    public async Task AlteredElement_IsDetectedAndRestored()
    {
        await using NasStack nas = await NasStack.CreateAsync();
        await using NftablesBackend backend = nas.Backend(watchDrift: false);
        await backend.ApplyAsync(NasStack.Intent());
        Assert.Null(await backend.CheckDriftAsync());
        (await nas.Box.ExecAsync(nas.Nas, "nft", "delete", "element", "inet", "appliance", "dnat_external_any_addr", "{ tcp . 10080 }")).EnsureSuccess();
        Assert.Null(await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, 10080));

        FirewallDrift? drift = await backend.CheckDriftAsync();

        Assert.NotNull(drift);
        Assert.False(drift.TableMissing);
        Assert.Contains(drift.Missing, m => m.Contains("dnat_external_any_addr", StringComparison.Ordinal) && m.Contains("10080", StringComparison.Ordinal));
        Assert.Equal("gitlab http\n", await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, 10080));
        Assert.Null(await backend.CheckDriftAsync());
    }

    [Fact]
    public async Task AdminUiRemoval_NotConfirmed_IsRolledBackAfterTheWindow()
    {
        await using NasStack nas = await NasStack.CreateAsync();
        await using NftablesBackend backend = nas.Backend(confirmWindow: TimeSpan.FromSeconds(2));
        await backend.ApplyAsync(NasStack.Intent());
        Assert.Equal("admin ui\n", await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, NasStack.AdminUiPort));

        FirewallApplyResult result = await backend.ApplyAsync(NasStack.Intent(withAdminUi: false));

        Assert.NotNull(result.PendingUntil);
        Assert.True(result.Incremental);
        Assert.Null(await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, NasStack.AdminUiPort));
        await Poll.UntilAsync(async () => await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, NasStack.AdminUiPort) == "admin ui\n",
            Deadline, () => "the admin UI's allowance was not rolled back");
        // The detached guard may restore the rules a moment before this process's own timer
        // records the rollback: wait for both, each with the deadline.
        await Poll.UntilAsync(() => backend.PendingUntil is null, Deadline, () => $"still pending until {backend.PendingUntil}");
        Assert.Single(backend.AppliedIntent!.HostServices);
    }

    [Fact]
    public async Task AdminUiRemoval_Confirmed_Stays()
    {
        await using NasStack nas = await NasStack.CreateAsync();
        await using NftablesBackend backend = nas.Backend(confirmWindow: TimeSpan.FromSeconds(1));
        await backend.ApplyAsync(NasStack.Intent());

        FirewallApplyResult result = await backend.ApplyAsync(NasStack.Intent(withAdminUi: false));
        await backend.ConfirmAsync();

        Assert.NotNull(result.PendingUntil);
        Assert.Null(backend.PendingUntil);
        // The guard saw the confirm marker and finished (it removes its rollback file last).
        string guardDir = backend.Options.StateDirectory;
        await Poll.UntilAsync(() => !Directory.EnumerateFiles(guardDir, "rollback-*.json").Any(), Deadline,
            () => "the rollback guard did not stand down after the confirm");
        // Past the deadline nothing may roll back any more: wait for it, then look.
        TimeSpan left = result.PendingUntil!.Value - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(0.5);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left);
        }
        Assert.Null(await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, NasStack.AdminUiPort));
        Assert.Null(await backend.CheckDriftAsync());
    }

    [Fact]
    public async Task AdminUiRemoval_ApplianceDiesInTheWindow_GuardRollsBack()
    {
        await using NasStack nas = await NasStack.CreateAsync();
        NftablesBackend backend = nas.Backend(confirmWindow: TimeSpan.FromSeconds(1), watchDrift: false);
        await backend.ApplyAsync(NasStack.Intent());
        await backend.ApplyAsync(NasStack.Intent(withAdminUi: false));

        // The process "dies": its timer is gone, only the detached guard is left.
        await backend.DisposeAsync();

        Assert.Null(await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, NasStack.AdminUiPort));
        await Poll.UntilAsync(async () => await NasStack.ConnectAsync(nas.Box.Laptop, TestBox.NasLanAddress, NasStack.AdminUiPort) == "admin ui\n",
            Deadline, () => "the detached guard did not restore the admin UI's allowance");
    }

    [Fact]
    public async Task ChangeFailingInTheKernel_LeavesTheRulesetByteIdentical()
    {
        await using NasStack nas = await NasStack.CreateAsync();
        await nas.LoadHostFirewallAsync(withMarkRule: true);
        await using NftablesBackend backend = nas.Backend(watchDrift: false);
        await backend.ApplyAsync(NasStack.Intent());
        // Another tool removes an element behind Appliance's back; the next incremental change
        // deletes it again, which the kernel refuses (ENOENT) — the whole transaction must go.
        (await nas.Box.ExecAsync(nas.Nas, "nft", "delete", "element", "inet", "appliance", "dnat_external_any_addr", "{ tcp . 10022 }")).EnsureSuccess();
        string before = await nas.RulesetJsonAsync();
        var changed = NasStack.Intent() with
        {
            Stacks = [NasStack.Intent().Stacks[0] with { PublishedPorts = [NasStack.Intent().Stacks[0].PublishedPorts[0]] }],
        };

        NftablesException error = await Assert.ThrowsAsync<NftablesException>(() => backend.ApplyAsync(changed));

        Assert.Contains("No such file or directory", error.Message);
        Assert.Equal(before, await nas.RulesetJsonAsync());
    }
}
