namespace Appliance.Web.Hosting;

/// <summary>
/// When the daemon's background start-up work (the first reconcile pass, Quartz's scheduler, the data protection key ring)
/// begins: <see cref="Delay"/> after the daemon serves, so that on a small box's two cores the first requests after a start
/// (the CLI's, the browser's, a monitor's) are not queued behind it (docs/performance.md, Daemon).
/// </summary>
internal static class AfterServing
{
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(500);

    /// <summary>Until the host has started serving and <see cref="Delay"/> has passed; at once for a host without a lifetime.</summary>
    public static async Task WaitAsync(IHostApplicationLifetime? lifetime, CancellationToken cancellationToken)
    {
        if (lifetime is null)
        {
            return;
        }
        if (!lifetime.ApplicationStarted.IsCancellationRequested)
        {
            var serving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (lifetime.ApplicationStarted.Register(() => serving.TrySetResult()))
            using (cancellationToken.Register(() => serving.TrySetCanceled(cancellationToken)))
            {
                await serving.Task;
            }
        }
        await Task.Delay(Delay, cancellationToken);
    }
}
