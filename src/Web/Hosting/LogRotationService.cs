using Appliance.Orchestrator.Runtime;

namespace Appliance.Web.Hosting;

/// <summary>
/// Keeps the log file conmon closed at a container's max-size as its newest rotated file the moment conmon starts a new one
/// (<see cref="IContainerRuntime.KeepRotatingLogsAsync"/>: an inotify watch, so an idle daemon does no work for it). If the
/// watch fails it is set up again after <see cref="RetryDelay"/>, with a pass over every container first.
/// </summary>
public sealed class LogRotationService(IContainerRuntime runtime, ILogger<LogRotationService> logger) : BackgroundService
{
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await runtime.KeepRotatingLogsAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return; // the daemon stops
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                DaemonLog.LogRotationFailed(logger, e);
                try
                {
                    await Task.Delay(RetryDelay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
