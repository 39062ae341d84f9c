using System.Runtime.CompilerServices;
using Appliance.TestSupport;
using Appliance.Web.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Integration.Tests.Daemon;

/// <summary>Runs alone: the tests read the process's GC counters, which other tests' allocations would move.</summary>
[CollectionDefinition(nameof(IdleMemoryTrimTests), DisableParallelization = true)]
public sealed class IdleMemoryTrimCollection;

/// <summary>The daemon's idle trim (<see cref="IdleMemoryTrim"/>) on this process's real GC heap.</summary>
[Collection(nameof(IdleMemoryTrimTests))]
public sealed class IdleMemoryTrimTests
{
    [Fact]
    public void Trim_GivesTheFreedHeapBackToTheKernel()
    {
        const int Megabytes = 96;
        long whileKept = FillAndDrop(Megabytes);

        IdleMemoryTrim.Trim();

        long after = Environment.WorkingSet;
        Assert.True(after < whileKept - (Megabytes / 2 << 20),
            $"working set {whileKept >> 20} MB while {Megabytes} MB of arrays were alive, {after >> 20} MB after they were dropped and trimmed: the freed heap was not given back");
    }

    /// <summary>Fills <paramref name="megabytes"/> MB of arrays (touched, so resident) and drops them; returns the working set while they lived.
    /// A method of its own: unoptimized code keeps a method's locals alive to its end.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long FillAndDrop(int megabytes)
    {
        var kept = new List<byte[]>();
        for (int i = 0; i < megabytes; i++)
        {
            byte[] chunk = new byte[1 << 20];
            Array.Fill(chunk, (byte)(i + 1));
            kept.Add(chunk);
        }
        GC.KeepAlive(kept);
        return Environment.WorkingSet;
    }

    [Fact]
    public async Task Service_TrimsAfterStart_ThenOnceAfterEachBurst_AndNotWhileIdle()
    {
        var trim = new IdleMemoryTrim(new DaemonOptions { StateDir = "/nonexistent", MemoryTrimInterval = TimeSpan.FromMilliseconds(100) },
            NullLogger<IdleMemoryTrim>.Instance);
        await trim.StartAsync(CancellationToken.None);
        try
        {
            // What the process allocated since it started (this test host: far more than a burst) is the first burst.
            await Poll.UntilAsync(() => trim.Ticks >= 1, TimeSpan.FromSeconds(30), () => "the service never looked");
            Assert.Equal(1, trim.Trims);

            Burst(IdleMemoryTrim.BurstBytes * 2);
            await Poll.UntilAsync(() => trim.Trims == 2, TimeSpan.FromSeconds(30), () => $"{trim.Trims} trims after a burst ({trim.Ticks} intervals)");

            // Idle: ten more intervals without a burst, no more collections.
            int ticks = trim.Ticks;
            await Poll.UntilAsync(() => trim.Ticks >= ticks + 10, TimeSpan.FromSeconds(30), () => $"only {trim.Ticks - ticks} intervals passed");
            Assert.Equal(2, trim.Trims);
        }
        finally
        {
            await trim.StopAsync(CancellationToken.None);
        }
    }

    private static void Burst(long bytes)
    {
        for (long done = 0; done < bytes; done += 64 << 10)
        {
            GC.KeepAlive(new byte[64 << 10]);
        }
    }
}
