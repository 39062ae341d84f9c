using Appliance.Orchestrator.Runtime;

namespace Appliance.Web.Hosting;

/// <summary>
/// Every few seconds, keeps the log file conmon closed at a container's max-size as its newest rotated file
/// (<see cref="IContainerRuntime.KeepRotatedLogs"/>): two stats per container when nothing rotated.
/// </summary>
public sealed class LogRotationService(IContainerRuntime runtime, ILogger<LogRotationService> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    runtime.KeepRotatedLogs();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    DaemonLog.LogRotationFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the daemon stops
        }
    }
}
