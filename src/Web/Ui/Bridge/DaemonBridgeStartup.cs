namespace Appliance.Web.Ui.Bridge;

/// <summary>At the UI process's start, learns from the daemon whether it has an engine (<see cref="RemoteBackend.IsConnected"/>).</summary>
internal sealed class DaemonBridgeStartup(RemoteBackend backend, ILogger<RemoteBackend> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await backend.InitializeAsync(cancellationToken);
        }
        catch (DaemonBridgeException e)
        {
            // The UI still starts: it shows the daemon's absence page by page, and asks again when a page reads IsConnected.
            RemoteBackend.LogEngineUnknown(logger, e.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
