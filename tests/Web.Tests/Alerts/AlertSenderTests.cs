using Appliance.Web.Alerts;
using Appliance.Web.Ui;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Appliance.Web.Tests.Alerts;

public sealed class AlertSenderTests
{
    [Fact]
    public async Task LastDelivery_OfTheSendingProcess_IsWhatAnotherProcessReads()
    {
        string stateDir = Path.Combine(Path.GetTempPath(), $"tbr{Guid.NewGuid().ToString("N")[..6]}-state");
        try
        {
            using AlertSender daemon = Sender(stateDir);
            using AlertSender ui = Sender(stateDir);
            Assert.Null(await ui.GetLastDeliveryAsync());

            // Nothing listens on port 1 of loopback: refused at once, a failed delivery with the reason.
            Assert.True((await daemon.SaveAsync(new AlertSettings("http://127.0.0.1:1/hook"))).Succeeded);
            Assert.False((await daemon.SendAsync("alert", "gitlab", "db", "autoheal gave up")).Succeeded);

            AlertDelivery sent = Assert.IsType<AlertDelivery>(daemon.LastDelivery);
            Assert.False(sent.Succeeded);
            Assert.Null(ui.LastDelivery); // the other process's memory knows nothing...
            Assert.Equal(sent, await ui.GetLastDeliveryAsync()); // ...its file does
            Assert.Equal(sent, await daemon.GetLastDeliveryAsync());
            Assert.Equal(["alert-delivery.json", "alerts.json"], Directory.GetFiles(stateDir).Select(Path.GetFileName).Order());
        }
        finally
        {
            if (Directory.Exists(stateDir))
            {
                Directory.Delete(stateDir, recursive: true);
            }
        }
    }

    private static AlertSender Sender(string stateDir) =>
        new(Options.Create(new UiOptions { StateDir = stateDir }), TimeProvider.System, NullLogger<AlertSender>.Instance);
}
