using Appliance.Netfilter.Nftables;
using Appliance.TestSupport;

namespace Appliance.Integration.Tests.Firewall;

/// <summary>
/// The nftables change events the drift watch waits on, read in the test box's <c>nas</c> namespace: quiet until a table
/// changes there, then a change; the socket keeps working after waits that timed out.
/// </summary>
public sealed class NftablesEventsTests
{
    [Fact]
    public async Task Wait_TimesOutWhileQuiet_ThenSeesAChange_AndTheNextOne()
    {
        await using TestBox box = await TestBox.CreateAsync();
        using NftablesEvents events = await NftablesEvents.OpenAsync(box.Nas.Namespace, CancellationToken.None);
        string table = $"{box.Prefix}ev";

        Assert.False(await events.WaitAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None));
        Assert.False(await events.WaitAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None));

        (await box.ExecAsync(box.Nas, "nft", "add", "table", "inet", table)).EnsureSuccess();
        Assert.True(await events.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None));
        // Everything that transaction sent was read with it: quiet again.
        Assert.False(await events.WaitAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None));

        (await box.ExecAsync(box.Nas, "nft", "delete", "table", "inet", table)).EnsureSuccess();
        Assert.True(await events.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None));

        // A change in another namespace (a client of the box) is not this namespace's.
        (await box.ExecAsync(box.Laptop, "nft", "add", "table", "inet", table)).EnsureSuccess();
        Assert.False(await events.WaitAsync(TimeSpan.FromMilliseconds(300), CancellationToken.None));

        using var cancelled = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => events.WaitAsync(TimeSpan.FromSeconds(30), cancelled.Token));
    }
}
