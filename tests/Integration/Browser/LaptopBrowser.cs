using Appliance.Integration.Tests.Daemon;
using Appliance.TestSupport;
using Microsoft.Playwright;

namespace Appliance.Integration.Tests.Browser;

/// <summary>
/// Debian's Chromium run inside the box's laptop namespace, on the daemon's UI at the nas's LAN address (port 8080), with the
/// browser's console errors and the daemon's output for failure messages. Playwright and the browser are closed by the box's teardown.
/// </summary>
internal sealed class LaptopBrowser
{
    private readonly List<string> _problems = [];

    private LaptopBrowser(IBrowserContext context, IPage page, DaemonProcess daemon)
    {
        Context = context;
        Page = page;
        Daemon = daemon;
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public DaemonProcess Daemon { get; }

    public static async Task<LaptopBrowser> OpenAsync(TestBox box, DaemonProcess daemon)
    {
        IPlaywright playwright = await Playwright.CreateAsync();
        box.OnTeardown("playwright", () =>
        {
            playwright.Dispose();
            return Task.CompletedTask;
        });
        IBrowser browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = await DaemonBrowserTests.ChromiumOnTheLaptopAsync(box),
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        box.OnTeardown("chromium on the laptop", () => browser.CloseAsync());
        IBrowserContext context = await browser.NewContextAsync(new()
        {
            BaseURL = $"http://{TestBox.NasLanAddress}:8080", ViewportSize = new() { Width = 1280, Height = 900 },
        });
        context.SetDefaultTimeout(20_000);
        var opened = new LaptopBrowser(context, await context.NewPageAsync(), daemon);
        opened.Page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                lock (opened._problems)
                {
                    opened._problems.Add(m.Text);
                }
            }
        };
        return opened;
    }

    /// <summary>What a failure message needs: the browser's console errors and the daemon's output.</summary>
    public string Diagnose()
    {
        lock (_problems)
        {
            return $"browser errors: {string.Join("; ", _problems)}\ndaemon output:\n{Daemon.Process.Output}";
        }
    }

    /// <summary>First run: the setup page with the token from the daemon's output creates the administrator and signs in.</summary>
    public async Task CreateAdministratorAsync(string token, string name, string password)
    {
        await Page.GotoAsync("/setup");
        await Page.GetByLabel("Setup token").FillAsync(token);
        await Page.GetByLabel("Administrator name").FillAsync(name);
        await Page.GetByLabel("Password (at least").FillAsync(password);
        await Page.GetByLabel("Repeat password").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create administrator" }).ClickAsync();
        await DaemonBrowserTests.WaitInteractiveAsync(Page, Diagnose);
    }
}
