namespace Appliance.Web.Security;

/// <summary>
/// At start, opens first-run setup (and logs its token) when no administrator exists. Registered by the process that owns the
/// listeners and the token, the daemon (<c>UiSetup.AddApplianceUiListeners</c>); the UI's process asks the daemon's gate.
/// </summary>
internal sealed class SetupAnnouncer(SetupGate gate) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => gate.OpenIfNeededAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
