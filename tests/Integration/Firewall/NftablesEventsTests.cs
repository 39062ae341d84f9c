using Appliance.Netfilter.Nftables;
using Appliance.TestSupport;

namespace Appliance.Integration.Tests.Firewall;

/// <summary>
/// The nftables change events the drift watch waits on, read in the test box's <c>nas</c> namespace: quiet until another
/// process changes a table there; this process's own transactions (its firewall applies) do not count; the socket keeps
/// working after waits that timed out.
/// </summary>
public sealed class NftablesEventsTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Wait_SeesOtherProcessesChanges_NotItsOwnApplies_AndSurvivesTimeouts()
    {
        await using NasStack nas = await NasStack.CreateAsync();
        TestBox box = nas.Box;
        using NftablesEvents events = await NftablesEvents.OpenAsync(nas.NasNamespace, CancellationToken.None);
        string table = $"{box.Prefix}ev";

        Assert.False(await events.WaitAsync(Quiet, CancellationToken.None));
        Assert.False(await events.WaitAsync(Quiet, CancellationToken.None));

        // Our own apply (the backend's nft thread, in this process): not a change to look at.
        await using NftablesBackend backend = nas.Backend(watchDrift: false);
        await backend.ApplyAsync(NasStack.Intent());
        Assert.False(await events.WaitAsync(Quiet, CancellationToken.None));

        // Another process (nft): a change, once; everything that transaction sent was read with it.
        (await box.ExecAsync(nas.Nas, "nft", "add", "table", "inet", table)).EnsureSuccess();
        Assert.True(await events.WaitAsync(Deadline, CancellationToken.None));
        Assert.False(await events.WaitAsync(Quiet, CancellationToken.None));
        (await box.ExecAsync(nas.Nas, "nft", "delete", "table", "inet", table)).EnsureSuccess();
        Assert.True(await events.WaitAsync(Deadline, CancellationToken.None));

        // A change in another namespace (a client of the box) is not this namespace's.
        (await box.ExecAsync(box.Laptop, "nft", "add", "table", "inet", table)).EnsureSuccess();
        Assert.False(await events.WaitAsync(Quiet, CancellationToken.None));

        using var cancelled = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => events.WaitAsync(TimeSpan.FromSeconds(30), cancelled.Token));
    }

    [Fact]
    public async Task DriftWatch_IdleDoesNothing_AndAChurningToolCostsAtMostOneComparisonPerGap()
    {
        await using NasStack nas = await NasStack.CreateAsync();
        await using NftablesBackend backend = nas.Backend(); // events, and a poll out of reach
        await backend.ApplyAsync(NasStack.Intent());
        await backend.WatchReady.WaitAsync(Deadline);

        // Idle (and our own apply): no comparison at all.
        int before = backend.WatchComparisons;
        await Task.Delay(Quiet);
        Assert.Equal(before, backend.WatchComparisons);

        // Another tool changes its own table 60 times as fast as it can: a few comparisons, not 60.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        string table = $"{nas.Box.Prefix}churn";
        (await nas.Box.ExecAsync(nas.Nas, "sh", "-c",
            $"nft add table inet {table}; i=0; while [ $i -lt 60 ]; do nft add set inet {table} s$i '{{ type ipv4_addr; }}'; i=$((i+1)); done; nft delete table inet {table}")).EnsureSuccess();
        TimeSpan churn = watch.Elapsed;
        await Poll.UntilAsync(() => Task.FromResult(backend.WatchComparisons > before), Deadline, () => "the churn woke no comparison");
        TimeSpan gap = TimeSpan.FromMilliseconds(500); // what the product promises (docs/firewall.md)
        await Task.Delay(gap * 2);
        int comparisons = backend.WatchComparisons - before;
        int bound = (int)((churn + gap * 2) / gap) + 2;
        Assert.True(comparisons <= bound, $"{comparisons} comparisons for 62 changes in {churn.TotalMilliseconds:0} ms (at most {bound} expected)");
        Assert.Empty(backend.Drifts); // none of it touched Appliance's table
    }
}
