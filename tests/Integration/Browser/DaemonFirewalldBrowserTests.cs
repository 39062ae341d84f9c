using System.Net.Http.Json;
using Appliance.Integration.Tests.Daemon;
using Appliance.TestSupport;
using Appliance.TestSupport.Firewalld;
using Appliance.TestSupport.Registry;
using Appliance.Web.Cli;
using Appliance.Web.Hosting;
using Microsoft.Playwright;

namespace Appliance.Integration.Tests.Browser;

/// <summary>
/// Explain under firewalld, in a browser against the real daemon: Debian's firewalld in the box's nas namespace on its
/// private bus (FirewalldInBox), `appliance serve --firewall-backend firewalld` finding that bus through
/// DBUS_SYSTEM_BUS_ADDRESS, a one-service stack publishing a port to the LAN, and Debian's Chromium on the laptop asking
/// the Firewall page which zone or policy of firewalld decides — checked against real connections from the laptop and
/// the WAN client.
/// </summary>
[Collection(RegistryFixture.Collection)]
public sealed class DaemonFirewalldBrowserTests(RegistryFixture registry)
{
    private const string Password = "correct horse battery";
    private const string Stack = "fwd-probe";
    private const int Port = 16379;
    private static readonly TimeSpan Probe = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Explain_UnderFirewalld_NamesTheZoneOrPolicyThatDecides()
    {
        await using TestBox box = await TestBox.CreateAsync(withWan: true);
        DaemonEngine.TakeDownAtTeardown(box);
        FirewalldInBox firewalld = await FirewalldInBox.StartAsync(box);
        DaemonProcess daemon = await DaemonProcess.StartAsync(box, extraArguments: ["--firewall-backend", "firewalld"],
            environment: new Dictionary<string, string> { ["DBUS_SYSTEM_BUS_ADDRESS"] = firewalld.BusAddress }, deployTimeoutSeconds: 90);
        await Poll.UntilAsync(() => Task.FromResult(DaemonBrowserTests.SetupToken().IsMatch(daemon.Process.Output)), TimeSpan.FromSeconds(30),
            () => $"no setup token in the daemon's output:\n{daemon.Process.Output}");
        string token = DaemonBrowserTests.SetupToken().Match(daemon.Process.Output).Groups[1].Value;

        // One service publishing 16379 to the LAN, deployed over the daemon's socket.
        using (HttpClient api = daemon.RawClient())
        {
            api.Timeout = TimeSpan.FromMinutes(3);
            string stackFile = $"name: {Stack}\nservices:\n  redis:\n    image: {registry.Registry.Host}/redis:latest\n    ports:\n      - \"{Port}:6379\"\n" +
                "    x-appliance:\n      exposure: lan\n";
            using HttpResponseMessage deployed = await api.PutAsJsonAsync($"api/daemon/stacks/{Stack}", new DeployRequest(stackFile));
            OperationResponse answer = (await deployed.Content.ReadFromJsonAsync<OperationResponse>(JsonBody.Options))!;
            Assert.True(answer.Succeeded, $"deploy: {answer.Message}\n{daemon.Process.Output}");
        }
        // firewalld is the one in charge: Appliance's zone holds the stack's bridge.
        Assert.Equal("appliance", await firewalld.FirewallCmdAsync("--get-zone-of-interface=ap-" + Stack));
        // On the wire: the laptop (LAN) gets through, the WAN client does not.
        await Poll.UntilAsync(async () => await TestBox.TryConnectTcpAsync(box.Laptop, TestBox.NasLanAddress, Port, Probe) is not null,
            TimeSpan.FromSeconds(30), () => $"the laptop never reached {Port}:\n{daemon.Process.Output}");
        Assert.Null(await TestBox.TryConnectTcpAsync(box.WanClient!, TestBox.NasWanAddress, Port, Probe));

        // `appliance fw explain` asks the daemon, so under firewalld it names the zone or policy that decides, as the UI does.
        CommandResult blocked = await Command.RunAsync(["dotnet", typeof(ApplianceCli).Assembly.Location, "--daemon-socket", daemon.SocketPath,
            "fw", "explain", "--from", TestBox.WanClientAddress, "--to", $"{TestBox.NasWanAddress}:{Port}/tcp"], TimeSpan.FromMinutes(1));
        Assert.True(blocked.ExitCode == 1, $"exit {blocked.ExitCode}: {blocked.Stdout}{blocked.Stderr}");
        Assert.StartsWith("DROPPED: ", blocked.Stdout);
        Assert.Contains("Decided by firewalld: zone public.", blocked.Stdout);
        Assert.DoesNotContain("Decided by table", blocked.Stdout);
        CommandResult passes = await Command.RunAsync(["dotnet", typeof(ApplianceCli).Assembly.Location, "--daemon-socket", daemon.SocketPath,
            "fw", "explain", "--from", TestBox.LaptopAddress, "--to", $"{TestBox.NasLanAddress}:8080"], TimeSpan.FromMinutes(1));
        Assert.True(passes.ExitCode == 0, $"exit {passes.ExitCode}: {passes.Stdout}{passes.Stderr}");
        Assert.StartsWith("PASSES: ", passes.Stdout);
        Assert.Contains("Decided by firewalld: policy appliance-host.", passes.Stdout);

        LaptopBrowser laptop = await LaptopBrowser.OpenAsync(box, daemon);
        IPage page = laptop.Page;
        string Diagnose() => laptop.Diagnose();
        await laptop.CreateAdministratorAsync(token, "owner", Password);

        await DaemonBrowserTests.NavAsync(page, "Firewall");
        await DaemonBrowserTests.WaitInteractiveAsync(page, Diagnose);
        await Assertions.Expect(page.GetByTestId("firewall-backend")).ToHaveTextAsync("Backend: firewalld");
        await Assertions.Expect(page.GetByTestId("explain-firewalld")).ToContainTextAsync("the answer names its zone or policy");
        // firewalld's own table is not listed as a firewall in the way: Appliance's zone and policies handle it.
        await Assertions.Expect(page.GetByTestId("intent")).ToContainTextAsync($"Stack {Stack}: port {Port}/tcp leads to");
        await Assertions.Expect(page.GetByText("Other firewalls in the way")).ToHaveCountAsync(0);
        ILocator explanation = page.GetByTestId("explanation");

        async Task ExplainAsync(string from, string to, int port)
        {
            await page.GetByTestId("explain-source").FillAsync(from);
            await page.GetByTestId("explain-destination").FillAsync(to);
            await page.GetByTestId("explain-port").FillAsync(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await page.GetByRole(AriaRole.Button, new() { Name = "Explain" }).ClickAsync();
        }

        // The laptop to the published port: passes, as port-forwarded traffic firewalld accepts before any zone.
        await ExplainAsync(TestBox.LaptopAddress, TestBox.NasLanAddress, Port);
        await Assertions.Expect(explanation).ToContainTextAsync($"Passes: {TestBox.LaptopAddress} -> {TestBox.NasLanAddress}:{Port}/tcp is published port");
        await Assertions.Expect(explanation).ToContainTextAsync("Decided by firewalld: firewalld's rule for port-forwarded traffic.");
        await Assertions.Expect(explanation).ToContainTextAsync("firewalld rule: ct status dnat accept");

        // The WAN client to the same port: blocked by firewalld's default zone, with the fix.
        await ExplainAsync(TestBox.WanClientAddress, TestBox.NasWanAddress, Port);
        await Assertions.Expect(explanation).ToContainTextAsync("Blocked");
        await Assertions.Expect(explanation).ToContainTextAsync("Decided by firewalld: zone public.");
        await Assertions.Expect(explanation).ToContainTextAsync($"port {Port} is published only to lan");
        await Assertions.Expect(explanation).ToContainTextAsync(
            $"Fix: if {TestBox.WanClientAddress} should reach it, widen the exposure of port {Port}/tcp of stack '{Stack}' (its stack page: internet");
        await Assertions.Expect(explanation).Not.ToContainTextAsync("Decided by table"); // not the nftables answer
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "daemon-firewall-firewalld.png"), FullPage = true });

        // The admin UI from the laptop: Appliance's host policy in firewalld, with its rich rule.
        await ExplainAsync(TestBox.LaptopAddress, TestBox.NasLanAddress, 8080);
        await Assertions.Expect(explanation).ToContainTextAsync("Passes");
        await Assertions.Expect(explanation).ToContainTextAsync("Decided by firewalld: policy appliance-host.");
        await Assertions.Expect(explanation).ToContainTextAsync("firewalld rule: rule");
        await laptop.Context.CloseAsync();
    }
}
