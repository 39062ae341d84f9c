using Appliance.TestSupport;

namespace Appliance.Integration.Tests.Daemon;

/// <summary>
/// The web UI as a process of its own (Hosting/UiProcess, Hosting/UiProxy): started by the first page request, stopped when
/// idle, started again after it died, gone with the daemon; the daemon itself never loads Blazor.
/// </summary>
public sealed class WebUiProcessTests
{
    private const int SigKill = 9;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task WebUi_StartsOnTheFirstPage_StopsWhenIdle_ComesBackAfterACrash_AndGoesWithTheDaemon()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonProcess daemon = await DaemonProcess.StartAsync(box, extraArguments: ["--ui-idle-timeout", "2"]);
        Assert.Null(UiProcessOf(daemon));

        Assert.Equal("200", await StatusAsync(box, "/login"));
        int first = UiProcessOf(daemon) ?? throw new Xunit.Sdk.XunitException("no web UI process after a page was served");
        Assert.Contains("Microsoft.AspNetCore.Components", File.ReadAllText($"/proc/{first}/maps"), StringComparison.Ordinal);
        Assert.DoesNotContain("Microsoft.AspNetCore.Components", File.ReadAllText($"/proc/{daemon.Process.Id}/maps"), StringComparison.Ordinal);
        // /api/health is the daemon's own: it neither needs nor keeps the UI.
        Assert.Contains("\"status\":\"ok\"", (await box.ExecAsync(box.Laptop, "curl", "-s", "-m", "5", $"http://{TestBox.NasLanAddress}:8080/api/health")).Stdout);

        await Poll.UntilAsync(() => UiProcessOf(daemon) is null, Deadline, () => "the idle web UI was not stopped:\n" + daemon.Process.Output);
        await daemon.Process.WaitForOutputAsync("stopped: no request for 2 s", Deadline);

        Assert.Equal("200", await StatusAsync(box, "/login"));
        int second = UiProcessOf(daemon) ?? throw new Xunit.Sdk.XunitException("the web UI did not start again");
        Assert.NotEqual(first, second);

        Tmds.Linux.LibC.kill(second, SigKill);
        await daemon.Process.WaitForOutputAsync($"The web UI (pid {second}) exited", Deadline);
        Assert.Equal("200", await StatusAsync(box, "/login"));
        int third = UiProcessOf(daemon) ?? throw new Xunit.Sdk.XunitException("the web UI did not start after it was killed");

        // Killed, the daemon cannot stop the UI; the UI sees its input end and stops by itself.
        daemon.Process.Signal(SigKill);
        await Poll.UntilAsync(() => !Directory.Exists($"/proc/{third}"), Deadline, () => $"the web UI (pid {third}) outlived the killed daemon");
    }

    [Fact]
    public async Task WebUi_SeesTheClientsAddress_NotOneTheClientClaims()
    {
        await using TestBox box = await TestBox.CreateAsync();
        DaemonProcess daemon = await DaemonProcess.StartAsync(box);
        string jar = Path.Combine(box.TempDir, "cookies");
        string page = (await box.ExecAsync(box.Laptop, "curl", "-s", "-m", "30", "-c", jar, $"http://{TestBox.NasLanAddress}:8080/login")).Stdout;
        string token = DaemonProcess.AntiforgeryTokenOf(page);

        CommandResult post = await box.ExecAsync(box.Laptop, "curl", "-s", "-m", "30", "-b", jar, "-o", "/dev/null", "-w", "%{http_code}",
            "-H", "X-Appliance-Client: 198.51.100.7", "-H", "X-Appliance-Scheme: https",
            "--data-urlencode", "Name=admin", "--data-urlencode", "Password=wrong-password-123", "--data-urlencode", $"__RequestVerificationToken={token}",
            $"http://{TestBox.NasLanAddress}:8080/account/login");
        Assert.Equal("302", post.Stdout);
        await daemon.Process.WaitForOutputAsync($"Failed sign-in from {TestBox.LaptopAddress}", Deadline);
        Assert.DoesNotContain("198.51.100.7", daemon.Process.Output, StringComparison.Ordinal);

        // Nor does a client over TCP pass for root, the daemon's socket's caller; over the socket the REST API is root's.
        CommandResult claimed = await box.ExecAsync(box.Laptop, "curl", "-s", "-m", "30", "-o", "/dev/null", "-w", "%{http_code}",
            "-H", "X-Appliance-Client: unix-socket", $"http://{TestBox.NasLanAddress}:8080/api/stacks");
        Assert.Equal("401", claimed.Stdout);
        using HttpClient socket = daemon.RawClient();
        Assert.Equal("[]", await socket.GetStringAsync("api/stacks"));
    }

    private static async Task<string> StatusAsync(TestBox box, string path) =>
        (await box.ExecAsync(box.Laptop, "curl", "-s", "-m", "60", "-o", "/dev/null", "-w", "%{http_code}", $"http://{TestBox.NasLanAddress}:8080{path}")).Stdout;

    private static int? UiProcessOf(DaemonProcess daemon) => daemon.WebUiProcessIds() is [int pid] ? pid : null;
}
