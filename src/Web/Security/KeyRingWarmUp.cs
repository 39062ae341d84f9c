using Microsoft.AspNetCore.DataProtection;

namespace Appliance.Web.Security;

/// <summary>
/// Loads (or at first start creates) the data protection key ring that sign-in cookies and antiforgery tokens use, once the
/// daemon serves (<see cref="Hosting.AfterServing"/>). ASP.NET Core's own hosted service for this runs before Kestrel listens, ~40 ms of every start; here the
/// first sign-in still finds the ring loaded, and nothing on the unix socket waits for it.
/// </summary>
internal sealed class KeyRingWarmUp(IDataProtectionProvider provider, IHostApplicationLifetime lifetime, ILogger<KeyRingWarmUp> logger) : IHostedService
{
    /// <summary>ASP.NET Core's hosted service that loads the key ring before the server starts; <see cref="UiSetup"/> removes it.</summary>
    internal const string FrameworkWarmUpType = "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = Task.Run(async () =>
        {
            try
            {
                await Hosting.AfterServing.WaitAsync(lifetime, Hosting.AfterServing.Delay, lifetime.ApplicationStopping);
                provider.CreateProtector("Appliance.KeyRingWarmUp").Protect([1]);
            }
            catch (OperationCanceledException)
            {
                // the daemon stopped first
            }
            catch (Exception e)
            {
                // The first sign-in will try again and show the error where it matters.
                logger.LogWarning(e, "loading the data protection key ring failed");
            }
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
