using System.Threading.Channels;
using Appliance.Orchestrator.Events;
using Appliance.Web.Alerts;

namespace Appliance.Web.Hosting;

/// <summary>
/// Forwards the events an owner must hear about (alerts: autoheal gave up, a reconcile or schedule failed, a firewall roll-back
/// failed; and deploys rolled back) to the webhook of <see cref="AlertSender"/>, in order, each tried 3 times (now, after 5 s,
/// after 30 s). A queue of 100 in between: a webhook that hangs never slows the daemon, and a burst drops the oldest.
/// </summary>
public sealed class AlertForwarder(EventLog events, AlertSender sender, ILogger<AlertForwarder> logger) : BackgroundService
{
    private static readonly TimeSpan[] Retries = [TimeSpan.Zero, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30)];

    public static bool IsAlert(ApplianceEventRecord e) => e.Kind is EventKind.Alert or EventKind.Rollback;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = Channel.CreateBounded<ApplianceEventRecord>(new BoundedChannelOptions(100) { FullMode = BoundedChannelFullMode.DropOldest });
        Task deliver = DeliverAsync(queue.Reader, stoppingToken);
        try
        {
            await foreach (ApplianceEventRecord e in events.WatchAsync(stoppingToken))
            {
                if (IsAlert(e))
                {
                    queue.Writer.TryWrite(e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the daemon stops
        }
        queue.Writer.TryComplete();
        await deliver;
    }

    private async Task DeliverAsync(ChannelReader<ApplianceEventRecord> queue, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (ApplianceEventRecord e in queue.ReadAllAsync(stoppingToken))
            {
                if ((await sender.GetAsync(stoppingToken)).WebhookUrl is null)
                {
                    continue;
                }
                string message = e.Reason is null ? e.Message : $"{e.Message} ({e.Reason})";
                foreach (TimeSpan wait in Retries)
                {
                    await Task.Delay(wait, stoppingToken);
                    if ((await sender.SendAsync(e.Kind, e.Stack, e.Service, message, stoppingToken)).Succeeded)
                    {
                        break;
                    }
                    DaemonLog.AlertNotDelivered(logger, message, sender.LastDelivery?.Detail ?? "");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the daemon stops
        }
    }
}
