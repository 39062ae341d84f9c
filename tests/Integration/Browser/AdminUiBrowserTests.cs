using Appliance.TestSupport;
using Appliance.Web.Tests.Support;
using Appliance.Web.Ui.Backend;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Appliance.Integration.Tests.Browser;

/// <summary>The admin UI in Debian's Chromium against the real UI host on loopback, with screenshots of each page.</summary>
public sealed class AdminUiBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private const string Password = "correct horse battery";
    private readonly List<string> _problems = [];

    [Fact]
    public async Task FirstRun_SetupWithToken_ThenSignOutAndSignIn()
    {
        await using UiServer server = await UiServer.StartAsync();
        IPage page = await NewPageAsync(server);
        await page.GotoAsync("/");
        await page.WaitForURLAsync("**/login**");
        await ShotAsync(page, "login");
        await page.GetByRole(AriaRole.Link, new() { Name = "Create the first administrator" }).ClickAsync();
        await page.WaitForURLAsync("**/setup");
        await page.GetByLabel("Setup token").FillAsync(server.SetupToken);
        await page.GetByLabel("Administrator name").FillAsync("owner");
        await page.GetByLabel("Password (at least").FillAsync(Password);
        await page.GetByLabel("Repeat password").FillAsync(Password);
        await ShotAsync(page, "setup");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create administrator" }).ClickAsync();
        await WaitInteractiveAsync(page);
        await Assertions.Expect(page.GetByText("No stacks yet.")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("No engine connected.")).ToBeVisibleAsync();
        await ShotAsync(page, "dashboard-empty");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        // The URL alone, polled: WaitForURLAsync, when the page is already at /login, waits for a "load" event, which on a
        // loaded box Playwright did not see within 15 s (the page was rendered at /login); the next steps wait for its fields.
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login$"));
        await page.GetByLabel("User name").FillAsync("owner");
        await page.GetByLabel("Password").FillAsync("wrong password!");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Sign-in failed");
        await page.GetByLabel("User name").FillAsync("owner");
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await WaitInteractiveAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Catalog_InstallsGitlabShapedStack_WithSecretsAndPortCheck()
    {
        InMemoryBackend backend = new InMemoryBackend().WithStack("files", 1, 8080);
        await using UiServer server = await UiServer.StartAsync(s => s.AddSingleton<IApplianceBackend>(backend));
        WriteGitlabCatalog(Path.Combine(server.StateDir, "catalog"));
        IPage page = await SignedInPageAsync(server);
        await NavAsync(page, "Catalog");
        ILocator card = page.Locator("[data-entry=gitlab]");
        await Assertions.Expect(card).ToContainTextAsync("GitLab with PostgreSQL and Redis");
        await ShotAsync(page, "catalog");
        await card.GetByRole(AriaRole.Button, new() { Name = "Install…" }).ClickAsync();
        ILocator secret = card.Locator("[data-parameter=DB_PASSWORD]");
        await Assertions.Expect(secret).Not.ToHaveValueAsync("");
        await Assertions.Expect(card.GetByText("Host port 8080 is already published")).ToBeVisibleAsync();
        await Assertions.Expect(card.GetByRole(AriaRole.Button, new() { Name = "Install", Exact = true })).ToBeDisabledAsync();
        await ShotAsync(page, "catalog-install-conflict");
        ILocator port = card.Locator("[data-parameter=HTTP_PORT]");
        await port.FillAsync("8081");
        await port.BlurAsync();
        await Assertions.Expect(card.GetByText("Host port 8080 is already published")).ToHaveCountAsync(0);
        await card.GetByRole(AriaRole.Button, new() { Name = "Install", Exact = true }).ClickAsync();
        await Assertions.Expect(card.GetByText("Stack 'gitlab' is up: 3 services healthy.")).ToBeVisibleAsync();
        await Assertions.Expect(card.GetByText("pulled registry.local/postgres:16")).ToBeVisibleAsync();
        await ShotAsync(page, "catalog-installed");
        await NavAsync(page, "Dashboard");
        await Assertions.Expect(page.Locator("[data-stack=gitlab]")).ToContainTextAsync("postgresql");
        await ShotAsync(page, "dashboard");
    }

    [Fact]
    public async Task StackDetail_ExposureChange_ShowsCountdownBannerUntilConfirmed()
    {
        InMemoryBackend backend = new InMemoryBackend().WithStack("gitlab", 3, 8080);
        await using UiServer server = await UiServer.StartAsync(s => s.AddSingleton<IApplianceBackend>(backend));
        IPage page = await StackPageAsync(server, "gitlab");
        await Assertions.Expect(page.GetByTestId("logs")).ToContainTextAsync("ready to accept connections");
        await page.GetByLabel("Exposure of 8080").SelectOptionAsync("HostOnly");
        ILocator banner = page.GetByTestId("confirm-banner");
        await Assertions.Expect(banner).ToContainTextAsync("Port 8080 is now host-only. Confirm within");
        await Assertions.Expect(banner.Locator(".countdown")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(0:5\\d|1:00)$"));
        // The pending change is the backend's, not the page's: a reload (a new circuit) shows it still.
        await page.ReloadAsync();
        await WaitInteractiveAsync(page);
        await Assertions.Expect(banner).ToContainTextAsync("Port 8080 is now host-only.");
        await ShotAsync(page, "stack-detail-confirm");
        await banner.GetByRole(AriaRole.Button, new() { Name = "Confirm" }).ClickAsync();
        await Assertions.Expect(banner).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByText("Confirmed: port 8080/tcp of gitlab becomes HostOnly.")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Remove…" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Dialog)).ToContainTextAsync("Also delete its volumes");
        await ShotAsync(page, "stack-detail-remove");
    }

    [Fact]
    public async Task StackDetail_CheckForUpdates_ShowsNewerImages_UntilUpdated()
    {
        InMemoryBackend backend = new InMemoryBackend().WithStack("gitlab", 3, 8080);
        await using UiServer server = await UiServer.StartAsync(s => s.AddSingleton<IApplianceBackend>(backend));
        IPage page = await StackPageAsync(server, "gitlab");
        await page.GetByRole(AriaRole.Button, new() { Name = "Check for updates" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Every image of 'gitlab' is up to date.")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("newer-images")).ToHaveCountAsync(0);

        backend.NewerInRegistry.Add("registry.local/gitlab:2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Check for updates" }).ClickAsync();
        ILocator banner = page.GetByTestId("newer-images");
        await Assertions.Expect(banner).ToContainTextAsync("Newer images are in the registry for registry.local/gitlab:2 (checked ");
        await ShotAsync(page, "stack-detail-newer-images");
        await banner.GetByRole(AriaRole.Button, new() { Name = "Update images" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Updated registry.local/gitlab:2.")).ToBeVisibleAsync();
        await Assertions.Expect(banner).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task StackDetail_DownloadLogs_GivesTheServicesWholeLogAsText()
    {
        await using UiServer server = await UiServer.StartAsync(s => s.AddSingleton<IApplianceBackend>(new InMemoryBackend().WithStack("gitlab")));
        IPage page = await StackPageAsync(server, "gitlab");
        IDownload download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download" }).ClickAsync());
        Assert.Equal("gitlab-gitlab-logs.txt", download.SuggestedFilename);
        string text = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.Contains("stdout gitlab ready to accept connections", text);
        Assert.Contains("stderr warning: using default configuration", text);
    }

    [Fact]
    public async Task Settings_Alerts_RefuseABadUrl_ThenSendATestAlertToTheWebhook()
    {
        await using UiServer server = await UiServer.StartAsync(s => s.AddSingleton<IApplianceBackend>(new InMemoryBackend()));
        await using var webhook = new WebhookReceiver();
        IPage page = await SignedInPageAsync(server);
        await page.GotoAsync("/settings");
        await WaitInteractiveAsync(page);
        ILocator url = page.GetByTestId("webhook-url");

        await url.FillAsync("ftp://nas.local/alerts");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send a test alert" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Webhook URL: 'ftp://nas.local/alerts' is not an http(s) URL")).ToBeVisibleAsync();
        Assert.Empty(webhook.Bodies);

        await url.FillAsync(webhook.Url);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send a test alert" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Sent; the webhook answered 200 OK.")).ToBeVisibleAsync();
        using (var posted = System.Text.Json.JsonDocument.Parse(Assert.Single(webhook.Bodies)))
        {
            Assert.Equal("A test alert sent by owner from the Settings page.", posted.RootElement.GetProperty("message").GetString());
            Assert.StartsWith("Appliance on ", posted.RootElement.GetProperty("title").GetString());
        }
        // Saved: a new page shows it; a webhook that fails is reported with its answer.
        await page.ReloadAsync();
        await WaitInteractiveAsync(page);
        await Assertions.Expect(url).ToHaveValueAsync(webhook.Url);
        await Assertions.Expect(page.GetByText("Last alert delivered")).ToBeVisibleAsync();
        webhook.Status = 500;
        await page.GetByRole(AriaRole.Button, new() { Name = "Send a test alert" }).ClickAsync();
        await Assertions.Expect(page.GetByText(new System.Text.RegularExpressions.Regex("Not delivered: the webhook at http://127.0.0.1:\\d+ answered 500"))).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Dashboard_DiskAlmostFull_SaysSo_WithTheFix()
    {
        await using TmpfsMount disk = await TmpfsMount.CreateAsync(Path.Combine(Path.GetTempPath(), TestPrefix.New() + "-disk"), 16);
        await using UiServer server = await UiServer.StartAsync(s => s.AddSingleton<IApplianceBackend>(new InMemoryBackend().WithStack("gitlab", 3, 8080)),
            stateDir: Path.Combine(disk.Path, "state"));
        IPage page = await SignedInPageAsync(server);
        await Assertions.Expect(page.GetByTestId("disk")).ToContainTextAsync($"free of 16 MiB (");
        await Assertions.Expect(page.GetByTestId("disk-low")).ToHaveCountAsync(0);

        disk.FillUntilFree(2);
        await page.ReloadAsync();
        await WaitInteractiveAsync(page);
        await Assertions.Expect(page.GetByTestId("disk-low")).ToContainTextAsync($"The disk is almost full: ");
        await Assertions.Expect(page.GetByTestId("disk-low")).ToContainTextAsync($"on {Path.Combine(disk.Path, "state")}. Images, volumes and logs live there");
        await ShotAsync(page, "dashboard-disk-low");
    }

    [Fact]
    public async Task Dashboard_NeedsAttention_ShowsAlertsAsTheyHappen_NewestFirst()
    {
        InMemoryBackend backend = new InMemoryBackend().WithStack("gitlab", 3, 8080);
        backend.Publish(new ApplianceEvent(DateTimeOffset.UtcNow.AddDays(-8), "alert", "gitlab", "gitlab", "an alert of last week"));
        backend.Publish(new ApplianceEvent(DateTimeOffset.UtcNow, "restart", "gitlab", "gitlab", "restarted"));
        await using UiServer server = await UiServer.StartAsync(s => s.AddSingleton<IApplianceBackend>(backend));
        IPage page = await SignedInPageAsync(server);
        await Assertions.Expect(page.Locator("[data-stack=gitlab]")).ToBeVisibleAsync();
        ILocator attention = page.GetByTestId("attention");
        await Assertions.Expect(attention).ToHaveCountAsync(0);

        // Live, with no reload: the owner sees what needs them.
        backend.Publish(new ApplianceEvent(DateTimeOffset.UtcNow, "alert", "gitlab", "gitlab", "autoheal gave up: circuit breaker open (after 3 restarts within 10 min)"));
        await Assertions.Expect(attention).ToContainTextAsync("gitlab/gitlab autoheal gave up: circuit breaker open");
        backend.Publish(new ApplianceEvent(DateTimeOffset.UtcNow, "alert", null, null, "the disk is almost full: 1.2 GiB free of 50 GiB (2.4 %) on /var/lib/appliance"));
        await Assertions.Expect(attention.Locator("li").First).ToContainTextAsync("the disk is almost full");
        await Assertions.Expect(attention.Locator("li")).ToHaveCountAsync(2);
        await Assertions.Expect(attention).Not.ToContainTextAsync("last week");
        await ShotAsync(page, "dashboard-attention");
    }

    [Fact]
    public async Task Editor_ShowsValidationErrorAtItsLine()
    {
        await using UiServer server = await UiServer.StartAsync();
        IPage page = await SignedInPageAsync(server);
        await NavAsync(page, "Editor");
        await WaitInteractiveAsync(page);
        await Assertions.Expect(page.GetByTestId("diagnostics")).ToContainTextAsync("No errors.");
        await page.GetByTestId("stack-text").FillAsync(
            "services:\n  gitlab:\n    image: gitlab/gitlab-ce:17\n    ports:\n      - \"8080:80\"\n      - \"10022:22:tcp\"\n  db:\n    image: postgres:16\n");
        await Assertions.Expect(page.GetByTestId("diagnostics")).ToContainTextAsync("Line 6, column 9 (services.gitlab.ports[1]): '10022:22:tcp' is not a port mapping");
        await Assertions.Expect(page.Locator(".gutter .bad")).ToHaveAttributeAsync("data-line", "6");
        await ShotAsync(page, "editor");
    }

    [Fact]
    public async Task Firewall_ExplainAFlow_ShowsTheVerdict()
    {
        InMemoryBackend backend = new InMemoryBackend().WithStack("gitlab", 3, 8080);
        await using UiServer server = await UiServer.StartAsync(s => s.AddSingleton<IApplianceBackend>(backend));
        IPage page = await SignedInPageAsync(server);
        await NavAsync(page, "Firewall");
        await WaitInteractiveAsync(page);
        await page.GetByTestId("explain-source").FillAsync("192.168.50.10");
        await page.GetByTestId("explain-port").FillAsync("8080");
        await page.GetByRole(AriaRole.Button, new() { Name = "Explain" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("explanation")).ToContainTextAsync("Passes: 192.168.50.10 may reach gitlab:80.");
        Assert.Equal(new FlowQuery("192.168.50.10", "", "tcp", 8080), Assert.Single(backend.Explained));
        await Assertions.Expect(page.GetByTestId("firewall-backend")).ToHaveTextAsync("Backend: nftables");
        await Assertions.Expect(page.GetByTestId("explain-firewalld")).ToHaveCountAsync(0); // the firewalld note only under firewalld
        await ShotAsync(page, "firewall");
        await page.GetByTestId("explain-source").FillAsync("not-an-ip");
        await page.GetByRole(AriaRole.Button, new() { Name = "Explain" }).ClickAsync();
        await Assertions.Expect(page.GetByText("'not-an-ip' is not an IP address")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Firewall_UnderFirewalld_SaysWhatExplainCanTell()
    {
        InMemoryBackend backend = new InMemoryBackend { FirewallBackend = "firewalld" }.WithStack("gitlab", 3, 8080);
        await using UiServer server = await UiServer.StartAsync(s => s.AddSingleton<IApplianceBackend>(backend));
        IPage page = await SignedInPageAsync(server);
        await NavAsync(page, "Firewall");
        await WaitInteractiveAsync(page);
        await Assertions.Expect(page.GetByTestId("firewall-backend")).ToHaveTextAsync("Backend: firewalld");
        await Assertions.Expect(page.GetByTestId("explain-firewalld")).ToContainTextAsync("the answer names its zone or policy");
    }

    [Fact]
    public async Task OtherPages_RenderAtDesktopAndPhoneWidth()
    {
        InMemoryBackend backend = new InMemoryBackend().WithStack("gitlab", 3, 8080).WithStack("nextcloud", 2, 8443, Exposure.Internet).WithStack("pihole", 1, 53, Exposure.HostOnly);
        await using UiServer server = await UiServer.StartAsync(s => s.AddSingleton<IApplianceBackend>(backend));
        IPage page = await SignedInPageAsync(server);
        await page.GotoAsync("/schedules");
        await WaitInteractiveAsync(page);
        await Assertions.Expect(page.GetByText("0 4 * * *").First).ToBeVisibleAsync();
        await ShotAsync(page, "schedules");
        await page.GotoAsync("/settings");
        await WaitInteractiveAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("token-secret")).ToContainTextAsync("apl_");
        await ShotAsync(page, "settings");

        await page.SetViewportSizeAsync(390, 844);
        await page.GotoAsync("/");
        await WaitInteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-stack=nextcloud]")).ToContainTextAsync("internet");
        double width = await page.EvaluateAsync<double>("document.documentElement.scrollWidth");
        Assert.True(width <= 390, $"the dashboard is {width}px wide at phone width (horizontal scrolling)");
        await ShotAsync(page, "dashboard-phone", fullPage: true);

        // The stack page at phone width: no sideways scrolling, and each service keeps its Stop button.
        await page.GotoAsync("/stacks/nextcloud");
        await WaitInteractiveAsync(page);
        ILocator stop = page.Locator("tr[data-service]").First.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Stop ") });
        await Assertions.Expect(stop).ToBeVisibleAsync();
        LocatorBoundingBoxResult box = (await stop.BoundingBoxAsync())!;
        Assert.True(box.X + box.Width <= 390, $"the Stop button ends at {box.X + box.Width}px, off a 390px screen");
        width = await page.EvaluateAsync<double>("document.documentElement.scrollWidth");
        Assert.True(width <= 390, $"the stack page is {width}px wide at phone width (horizontal scrolling)");
        await ShotAsync(page, "stack-detail-phone", fullPage: true);
    }

    private async Task<IPage> NewPageAsync(UiServer server)
    {
        IBrowserContext context = await fixture.Browser.NewContextAsync(new() { BaseURL = server.Address.ToString().TrimEnd('/'), ViewportSize = new() { Width = 1280, Height = 860 } });
        context.SetDefaultTimeout(15_000);
        server.BeforeStop.Add(() => context.CloseAsync());
        IPage page = await context.NewPageAsync();
        page.Response += (_, r) =>
        {
            if (r.Status >= 400)
            {
                _problems.Add($"{r.Status} {r.Url}");
            }
        };
        page.Console += (_, m) =>
        {
            if (m.Type is "error" or "warning")
            {
                _problems.Add($"console {m.Type}: {m.Text}");
            }
        };
        return page;
    }

    private async Task<IPage> SignedInPageAsync(UiServer server)
    {
        IPage page = await NewPageAsync(server);
        await page.GotoAsync("/setup");
        await page.GetByLabel("Setup token").FillAsync(server.SetupToken);
        await page.GetByLabel("Administrator name").FillAsync("owner");
        await page.GetByLabel("Password (at least").FillAsync(Password);
        await page.GetByLabel("Repeat password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create administrator" }).ClickAsync();
        await WaitInteractiveAsync(page);
        return page;
    }

    /// <summary>A signed-in page showing the stack page of <paramref name="stack"/>, interactive.</summary>
    private async Task<IPage> StackPageAsync(UiServer server, string stack)
    {
        IPage page = await SignedInPageAsync(server);
        await page.GotoAsync($"/stacks/{stack}");
        await WaitInteractiveAsync(page);
        return page;
    }

    private async Task WaitInteractiveAsync(IPage page)
    {
        try
        {
            await page.Locator("[data-interactive]").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"The page {page.Url} never became interactive. Browser problems: {string.Join("; ", _problems)}", e);
        }
    }

    private static Task NavAsync(IPage page, string name)
        => page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = name, Exact = true }).ClickAsync();

    private static Task ShotAsync(IPage page, string name, bool fullPage = false)
        => page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, name + ".png"), FullPage = fullPage });

    private static void WriteGitlabCatalog(string dir)
    {
        string stack = Path.Combine(dir, "gitlab");
        Directory.CreateDirectory(stack);
        File.WriteAllText(Path.Combine(stack, "stack.yaml"), """
            name: gitlab
            services:
              gitlab:
                image: registry.local/gitlab-probe:1
                ports: ["${HTTP_PORT:-8080}:80", "${SSH_PORT:-10022}:22"]
                environment:
                  DB_HOST: postgresql
                  DB_PASSWORD: ${DB_PASSWORD}
                depends_on:
                  postgresql: { condition: service_healthy }
              postgresql:
                image: registry.local/postgres:16
                environment:
                  POSTGRES_PASSWORD: ${DB_PASSWORD}
              redis:
                image: registry.local/redis:7
            x-appliance:
              catalog:
                title: GitLab
                description: GitLab with PostgreSQL and Redis. Git hosting, issues and CI for your team.
              parameters:
                - name: HTTP_PORT
                  description: Port of the web interface on this box
                  default: "8080"
                - name: DB_PASSWORD
                  description: Database password (generated)
                  generate: secret
            """);
        File.WriteAllText(Path.Combine(stack, "icon.svg"),
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 40 40\"><rect width=\"40\" height=\"40\" rx=\"8\" fill=\"#fc6d26\"/><path d=\"M20 31 9 17l3-9 3 9h10l3-9 3 9z\" fill=\"#fff\"/></svg>");
    }
}
