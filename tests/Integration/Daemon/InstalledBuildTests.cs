using System.Text.RegularExpressions;
using Appliance.TestSupport;
using Appliance.TestSupport.Registry;

namespace Appliance.Integration.Tests.Daemon;

/// <summary>
/// The build install.sh installs (<see cref="InstalledBuild"/>), end to end: the daemon compiled ahead of time runs the engine,
/// its CLI deploys a stack, and the JIT-compiled web UI it starts beside it does first-run setup and shows that stack, through
/// the daemon's socket (Ui/Bridge). Code the AOT compiler cut away, or a UI that cannot reach the daemon, fails here.
/// </summary>
[Collection(RegistryFixture.Collection)]
public sealed partial class InstalledBuildTests(RegistryFixture fixture)
{
    [Fact]
    public async Task InstalledBuild_AotDaemonDeploysAStack_AndItsWebUiSetsUpTheOwnerAndShowsIt()
    {
        string installed = await InstalledBuild.DirectoryAsync();
        await using TestBox box = await TestBox.CreateAsync();
        DaemonEngine.TakeDownAtTeardown(box);
        DaemonProcess daemon = await DaemonProcess.StartAsync(box, program: Path.Combine(installed, "appliance"), deployTimeoutSeconds: 60);
        Assert.DoesNotContain("libcoreclr.so", File.ReadAllText($"/proc/{daemon.Process.Id}/maps"), StringComparison.Ordinal);

        string stackFile = Path.Combine(box.TempDir, "web.yaml");
        await File.WriteAllTextAsync(stackFile, $"""
            name: web
            services:
              web:
                image: {fixture.Registry.Reference(TestImages.Busybox)}
                command: ["sh", "-c", "exec sleep 3600"]
                restart: always
            """);
        CommandResult up = await Command.RunAsync([Path.Combine(installed, "appliance"), "--daemon-socket", daemon.SocketPath, "stack", "up", stackFile],
            TimeSpan.FromMinutes(2));
        Assert.True(up.Succeeded, $"stack up through the AOT CLI: {up.Stdout}{up.Stderr}\nDaemon:\n{daemon.Process.Output}");

        // First-run setup in the web UI, as an owner with the token from the journal.
        Match setupToken = SetupToken().Match(daemon.Process.Output);
        Assert.True(setupToken.Success, "no setup token in the daemon's output:\n" + daemon.Process.Output);
        string jar = Path.Combine(box.TempDir, "cookies");
        string page = await CurlAsync(box, "-c", jar, Url("/setup"));
        string form = DaemonProcess.AntiforgeryTokenOf(page);
        string created = await CurlAsync(box, "-b", jar, "-c", jar, "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
            "--data-urlencode", $"Token={setupToken.Groups[1].Value}", "--data-urlencode", "Name=owner",
            "--data-urlencode", "Password=correct-horse-battery", "--data-urlencode", "Confirm=correct-horse-battery",
            "--data-urlencode", $"__RequestVerificationToken={form}", Url("/account/setup"));
        Assert.Equal($"302 {Url("/")}", created);

        // The signed-in owner sees the stack the CLI deployed: the UI's REST API, answered from the daemon's engine.
        string stacks = await CurlAsync(box, "-b", jar, Url("/api/stacks"));
        Assert.Contains("\"name\":\"web\"", stacks);
        Assert.Contains("running", stacks);
        int ui = Assert.Single(daemon.WebUiProcessIds());
        Assert.Equal(Path.Combine(installed, "ui", "appliance"), File.ReadAllText($"/proc/{ui}/cmdline").Split('\0')[0]);
    }

    private static string Url(string path) => $"http://{TestBox.NasLanAddress}:8080{path}";

    private static async Task<string> CurlAsync(TestBox box, params string[] arguments)
    {
        CommandResult result = await box.ExecAsync(box.Laptop, ["curl", "-s", "-m", "60", .. arguments]);
        return result.Stdout;
    }

    [GeneratedRegex(@"First-run setup token: (\S+)")]
    private static partial Regex SetupToken();
}
