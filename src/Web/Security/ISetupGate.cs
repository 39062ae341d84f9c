namespace Appliance.Web.Security;

/// <summary>
/// First-run setup as the pages and the account form posts see it: <see cref="SetupGate"/> in the daemon, which holds the
/// token it printed at start; <c>Ui.Bridge.RemoteSetupGate</c> in the UI process, which asks the daemon.
/// </summary>
public interface ISetupGate
{
    Task<SetupStatus> GetStatusAsync(CancellationToken cancellationToken = default);

    /// <summary>Checks the token (constant time) and, if right, closes setup for good; false when wrong, used or expired.</summary>
    Task<bool> TryConsumeAsync(string presented, CancellationToken cancellationToken = default);

    /// <summary>Reopens setup with the same token when creating the account failed after the token was taken.</summary>
    Task ReleaseAsync(CancellationToken cancellationToken = default);
}
