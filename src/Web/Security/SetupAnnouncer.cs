namespace Appliance.Web.Security;

/// <summary>
/// At start, opens first-run setup (and logs its token) when no administrator exists. Only where the gate is this
/// process's own (the daemon): a UI process's gate is the daemon's, asked over the socket, and announces nothing.
/// </summary>
internal sealed class SetupAnnouncer(ISetupGate gate) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        gate is SetupGate own ? own.OpenIfNeededAsync(cancellationToken) : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
