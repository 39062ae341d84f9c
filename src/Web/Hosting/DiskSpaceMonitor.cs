using Appliance.Orchestrator.Events;
using Appliance.Web.Ui.Storage;

namespace Appliance.Web.Hosting;

/// <summary>
/// Watches the state directory's disk (every <see cref="DaemonOptions.DiskCheckInterval"/>): when it falls under 5 % free it
/// raises an alert (which also goes to the owner's webhook), and says so again when it is back above 10 %. A full disk is
/// how a NAS's database gets corrupted; the owner hears of it before.
/// </summary>
public sealed class DiskSpaceMonitor(DiskSpace disk, EventLog events, DaemonOptions options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        bool low = false;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (disk.Measure() is { } usage)
                {
                    bool now = DiskSpace.IsLowNow(low, usage.FreePercent);
                    if (now != low)
                    {
                        await (now
                            ? events.PublishAsync(EventKind.Alert, null, null, "the disk is almost full: " + usage.Describe(),
                                "images, volumes and logs live there; remove stacks or volumes you do not need, or give the box more disk",
                                cancellationToken: stoppingToken)
                            : events.PublishAsync(EventKind.Daemon, null, null, "disk space is back: " + usage.Describe(), cancellationToken: stoppingToken));
                        low = now;
                    }
                }
                await Task.Delay(options.DiskCheckInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the daemon stops
        }
    }
}
