using Appliance.Web.Security;
using Appliance.Web.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Tests.Ui.Bridge;

public sealed class RemoteSetupGateTests
{
    [Fact]
    public async Task DaemonsToken_ConsumedOnce_WrongOneRejected_ReleaseReopens()
    {
        await using BridgeDaemon daemon = await BridgeDaemon.StartAsync();
        await using ServiceProvider ui = daemon.CreateUiServices();
        ISetupGate remote = ui.GetRequiredService<ISetupGate>();
        SetupGate own = daemon.Services.GetRequiredService<SetupGate>();
        string token = own.Token ?? throw new InvalidOperationException("the daemon did not open setup");

        SetupStatus open = await remote.GetStatusAsync();
        Assert.True(open.IsOpen);
        Assert.Equal(own.Deadline, open.Deadline);

        Assert.False(await remote.TryConsumeAsync("not-the-token"));
        Assert.False(await remote.TryConsumeAsync(""));
        Assert.True((await remote.GetStatusAsync()).IsOpen);

        Assert.True(await remote.TryConsumeAsync($"  {token}\n")); // pasted with blanks, as the gate allows
        Assert.False(await remote.TryConsumeAsync(token));
        Assert.False((await remote.GetStatusAsync()).IsOpen);
        Assert.False(own.IsOpen);

        await remote.ReleaseAsync();
        Assert.True((await remote.GetStatusAsync()).IsOpen);
        Assert.True(await remote.TryConsumeAsync(token));
        Assert.False(own.IsOpen);
    }

    [Fact]
    public async Task UiProcess_AnnouncesNoTokenOfItsOwn()
    {
        await using BridgeDaemon daemon = await BridgeDaemon.StartAsync();
        await using ServiceProvider ui = daemon.CreateUiServices();
        foreach (Microsoft.Extensions.Hosting.IHostedService service in ui.GetServices<Microsoft.Extensions.Hosting.IHostedService>())
        {
            await service.StartAsync(CancellationToken.None);
        }
        // The UI's container still has a SetupGate (AddApplianceUiCore), but nothing opened it: the daemon's is the one.
        Assert.Null(ui.GetRequiredService<SetupGate>().Token);
        Assert.NotNull(daemon.Services.GetRequiredService<SetupGate>().Token);
    }
}
