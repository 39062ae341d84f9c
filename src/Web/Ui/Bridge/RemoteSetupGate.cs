using Appliance.Web.Hosting;
using Appliance.Web.Security;

namespace Appliance.Web.Ui.Bridge;

/// <summary>
/// The UI process's <see cref="ISetupGate"/>: the daemon's <see cref="SetupGate"/>, which holds the token it printed at start,
/// over the UI bridge. Throws a <see cref="DaemonBridgeException"/> when the daemon cannot be reached.
/// </summary>
public sealed class RemoteSetupGate(DaemonBridgeClient daemon) : ISetupGate
{
    public Task<SetupStatus> GetStatusAsync(CancellationToken cancellationToken = default) =>
        daemon.GetAsync<SetupStatus>("/setup", cancellationToken);

    public async Task<bool> TryConsumeAsync(string presented, CancellationToken cancellationToken = default) =>
        (await daemon.SendAsync<BridgeSetupToken, BridgeFlag>(HttpMethod.Post, "/setup/consume", new BridgeSetupToken(presented), cancellationToken)).Value;

    public Task ReleaseAsync(CancellationToken cancellationToken = default) =>
        daemon.SendAsync<BridgeSetupToken>(HttpMethod.Post, "/setup/release", null, cancellationToken);
}
