namespace Appliance.Web.Security;

/// <summary>At start, opens first-run setup (and logs its token) when no administrator exists.</summary>
internal sealed class SetupAnnouncer(SetupGate gate) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => gate.OpenIfNeededAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
