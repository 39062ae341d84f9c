using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Appliance.TestSupport;
using Microsoft.Playwright;

namespace Appliance.Integration.Tests.Browser;

/// <summary>
/// The real `appliance serve` as a child process on 127.0.0.1 (engine and firewall off, state in a temp dir,
/// HTTPS on a free port): the setup token is read from its console output, as an owner would from the journal.
/// </summary>
public sealed partial class ServeProcessBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Serve_PrintsSetupToken_AndTheBrowserCompletesFirstRun()
    {
        string prefix = $"tbw{Guid.NewGuid().ToString("N")[..6]}";
        string dir = Path.Combine(Path.GetTempPath(), prefix);
        Directory.CreateDirectory(dir);
        int port = FreePort();
        int httpsPort = FreePort();
        var output = new StringBuilder();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                Path.Combine(AppContext.BaseDirectory, "appliance.dll"), "serve", "--state-dir", Path.Combine(dir, "state"),
                "--socket", Path.Combine(dir, "run", "appliance.sock"), "--run-dir", Path.Combine(dir, "run"),
                "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--listen", "127.0.0.1",
                "--engine", "none", "--firewall-backend", "none",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["APPLIANCE_TEST_PREFIX"] = prefix, ["Appliance__HttpsPort"] = httpsPort.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        using Process daemon = Process.Start(start)!;
        daemon.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        daemon.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        daemon.BeginOutputReadLine();
        daemon.BeginErrorReadLine();
        try
        {
            string Output() { lock (output) { return output.ToString(); } }
            await Poll.UntilAsync(() => Task.FromResult(SetupToken().IsMatch(Output()) || daemon.HasExited), TimeSpan.FromSeconds(60),
                () => $"no setup token in the daemon's output:\n{Output()}");
            Match token = SetupToken().Match(Output());
            Assert.True(token.Success, $"the daemon exited without a setup token:\n{Output()}");
            // The token is printed at start, just before the listener opens.
            await Poll.UntilAsync(async () =>
            {
                using var probe = new TcpClient();
                try
                {
                    await probe.ConnectAsync(IPAddress.Loopback, httpsPort);
                    return true;
                }
                catch (SocketException)
                {
                    return daemon.HasExited ? throw new InvalidOperationException($"the daemon exited:\n{Output()}") : false;
                }
            }, TimeSpan.FromSeconds(30), () => $"the daemon never listened on {port}:\n{Output()}");

            // Plain HTTP redirects to the HTTPS port with the daemon's self-signed certificate.
            using (var plain = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }))
            {
                using HttpResponseMessage redirect = await plain.GetAsync($"http://127.0.0.1:{port}/setup");
                Assert.Equal($"https://127.0.0.1:{httpsPort}/setup", redirect.Headers.Location?.ToString());
            }
            Assert.True(File.Exists(Path.Combine(dir, "state", "tls", "appliance.pfx")));
            // A clean first start: the warnings an owner reads in the journal are Appliance's own (the setup token; here also
            // "no container engine", from --engine none), no framework noise such as Kestrel overriding addresses or
            // DataProtection's unencrypted key ring (the 0700 state dir protects it), and no failure.
            string[] flagged = [.. Output().Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("warn:", StringComparison.Ordinal) || l.StartsWith("fail:", StringComparison.Ordinal))];
            Assert.Contains("warn: Appliance.Web.Security.SetupGate[1001]", flagged);
            Assert.All(flagged, l => Assert.StartsWith("warn: Appliance.", l));
            IBrowserContext context = await fixture.Browser.NewContextAsync(new() { BaseURL = $"https://127.0.0.1:{httpsPort}", IgnoreHTTPSErrors = true });
            context.SetDefaultTimeout(15_000);
            IPage page = await context.NewPageAsync();
            await page.GotoAsync("/setup");
            await page.GetByLabel("Setup token").FillAsync(token.Groups[1].Value);
            await page.GetByLabel("Administrator name").FillAsync("owner");
            await page.GetByLabel("Password (at least").FillAsync("correct horse battery");
            await page.GetByLabel("Repeat password").FillAsync("correct horse battery");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create administrator" }).ClickAsync();
            await page.Locator("[data-interactive]").WaitForAsync(new() { State = WaitForSelectorState.Attached });
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard" })).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByText("No stacks yet.")).ToBeVisibleAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "serve-dashboard.png") });
            // --firewall-backend none (and no engine): the firewall page says so plainly instead of showing rules.
            await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Firewall", Exact = true }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("no-firewall")).ToContainTextAsync("Appliance manages no firewall on this box");
            await page.GetByTestId("explain-source").FillAsync("192.168.50.10");
            await page.GetByTestId("explain-destination").FillAsync("192.168.50.1");
            await page.GetByRole(AriaRole.Button, new() { Name = "Explain" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("explanation")).ToContainTextAsync("Cannot explain: No firewall is connected to this daemon");
            await context.CloseAsync();
        }
        finally
        {
            if (!daemon.HasExited)
            {
                daemon.Kill(entireProcessTree: true);
                await daemon.WaitForExitAsync();
            }
            Directory.Delete(dir, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"setup token: (\S+)")]
    private static partial Regex SetupToken();
}
