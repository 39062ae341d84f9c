namespace Appliance.Web.Hosting;

/// <summary>
/// When the daemon's background start-up work begins: the lifecycle (its start event, the exit watch, the first reconcile
/// pass) as soon as the daemon serves; Quartz's scheduler and the data protection key ring <see cref="Delay"/> after it, so
/// that on a small box's two cores the first requests after a start (the CLI's, the browser's, a monitor's) are not queued
/// behind them (docs/performance.md, Daemon).
/// </summary>
internal static class AfterServing
{
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(500);

    /// <summary>Until the host has started serving and <paramref name="delay"/> has passed; at once for a host without a lifetime.</summary>
    public static async Task WaitAsync(IHostApplicationLifetime? lifetime, TimeSpan delay, CancellationToken cancellationToken)
    {
        if (lifetime is null)
        {
            return;
        }
        if (!lifetime.ApplicationStarted.IsCancellationRequested)
        {
            var serving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (lifetime.ApplicationStarted.Register(() => serving.TrySetResult()))
            {
                await serving.Task.WaitAsync(cancellationToken);
            }
        }
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken);
        }
    }
}
