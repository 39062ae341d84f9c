using System.Net.Http.Json;
using Appliance.TestSupport;
using Appliance.Web.Cli;
using Appliance.Web.Hosting;

namespace Appliance.Integration.Tests.Daemon;

/// <summary>Starts `appliance serve` as a child process with its state and socket in the box's temp dir,
/// listening on port 8080 inside the box's nas namespace (--netns). Killed by the box's teardown.</summary>
internal sealed partial class DaemonProcess
{
    public static readonly string AppliancePath = Path.Combine(AppContext.BaseDirectory, "appliance.dll");

    private DaemonProcess(TestBox box, string stateDir, string socketPath, BackgroundProcess process)
    {
        Box = box;
        StateDir = stateDir;
        SocketPath = socketPath;
        Process = process;
    }

    public TestBox Box { get; }

    public string StateDir { get; }

    public string SocketPath { get; }

    public BackgroundProcess Process { get; }

    public static string StateDirOf(TestBox box) => Path.Combine(box.TempDir, "state");

    public static string SocketOf(TestBox box) => Path.Combine(box.TempDir, "run", "appliance.sock");

    /// <summary>Starts the daemon in the machine's namespace, serving TCP inside the box's nas namespace; returns once /api/health answers.</summary>
    /// <param name="extraArguments">More options of `appliance serve` (e.g. --reconcile-interval 1, --firewall-backend nftables), each at most once.</param>
    /// <param name="environment">More environment (e.g. Appliance__CatalogDir).</param>
    /// <param name="runtimeConfig">A runtimeconfig.json to run with instead of the build's (its switches as another build would set them).</param>
    /// <param name="program">Another `appliance` to run (e.g. the installed build, <see cref="InstalledBuild"/>) instead of this build's.</param>
    public static async Task<DaemonProcess> StartAsync(TestBox box, bool waitUntilServing = true, IReadOnlyList<string>? extraArguments = null,
        IReadOnlyDictionary<string, string>? environment = null, int deployTimeoutSeconds = 20, string? runtimeConfig = null, string? program = null)
    {
        Directory.CreateDirectory(box.TempDir);
        string stateDir = StateDirOf(box);
        string socket = SocketOf(box);
        IReadOnlyList<string> appliance = program is not null ? [program]
            : runtimeConfig is null ? ["dotnet", AppliancePath] : ["dotnet", "exec", "--runtimeconfig", runtimeConfig, AppliancePath];
        BackgroundProcess process = box.StartOnMachine([.. appliance, "serve", "--state-dir", stateDir, "--socket", socket,
            "--port", "8080", "--netns", box.Nas.NamespacePath, "--run-dir", box.RunDir,
            "--container-prefix", box.Prefix + "-", "--deploy-timeout", deployTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), .. extraArguments ?? []], environment);
        var daemon = new DaemonProcess(box, stateDir, socket, process);
        // Stop it before the box's other teardown steps (which run in reverse order of registration), so it cannot act meanwhile.
        box.OnTeardown("daemon", async () =>
        {
            if (!process.HasExited)
            {
                process.Signal(9);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await process.WaitForExitAsync(cts.Token);
            }
        });
        if (waitUntilServing)
        {
            await daemon.WaitServingAsync();
        }
        return daemon;
    }

    public async Task WaitServingAsync()
    {
        using DaemonClient client = Client();
        await Poll.UntilAsync(async () =>
        {
            if (Process.HasExited)
            {
                throw new InvalidOperationException($"the daemon exited with {Process.ExitCode} before serving:\n{Process.Output}");
            }
            try
            {
                return (await client.GetAsync<HealthResponse>("api/health")).Status == "ok";
            }
            catch (DaemonClientException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), () => $"the daemon did not serve /api/health on '{SocketPath}'. Output:\n{Process.Output}");
    }

    public DaemonClient Client() => new(SocketPath);

    /// <summary>The daemon's children running `appliance ui` (the web UI's process), by process id.</summary>
    public IReadOnlyList<int> WebUiProcessIds() => ProcessTree.ChildrenOf(Process.Id, "ui");

    /// <summary>The antiforgery token of the form in a page the web UI served (for form posts with curl).</summary>
    public static string AntiforgeryTokenOf(string page) => AntiforgeryToken().Match(page) is { Success: true } match
        ? match.Groups[1].Value
        : throw new Xunit.Sdk.XunitException("no antiforgery token in the page:\n" + page);

    [System.Text.RegularExpressions.GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial System.Text.RegularExpressions.Regex AntiforgeryToken();

    /// <summary>A raw HttpClient over the unix socket (for requests the typed client would never send).</summary>
    public HttpClient RawClient()
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream,
                    System.Net.Sockets.ProtocolType.Unspecified);
                await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(SocketPath), ct);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri("http://appliance/") };
    }

    /// <summary>Deploys a stack file over the socket (PUT api/daemon/stacks/NAME) and asserts that the daemon accepted it.</summary>
    public async Task DeployAsync(string name, string stackFile)
    {
        using HttpClient http = RawClient();
        http.Timeout = TimeSpan.FromMinutes(2);
        using HttpResponseMessage response = await http.PutAsJsonAsync($"api/daemon/stacks/{name}", new DeployRequest(stackFile));
        string body = await response.Content.ReadAsStringAsync();
        Xunit.Assert.True(response.IsSuccessStatusCode, $"deploy of '{name}': {(int)response.StatusCode} {body}\nDaemon:\n{Process.Output}");
    }

    /// <summary>The stack's events, oldest first.</summary>
    public static async Task<EventResponse[]> EventsAsync(DaemonClient client, string stack) =>
        [.. (await client.GetAsync<EventResponse[]>($"api/daemon/events?stack={stack}&max=1000")).OrderBy(e => e.Id)];

    public async Task<EventResponse> NoteAsync(HttpClient http, string message, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await http.PostAsJsonAsync("api/daemon/events", new NoteRequest(message), cancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<EventResponse>(JsonBody.Options, cancellationToken))!;
    }

    public async Task StopAsync(int signal, TimeSpan timeout)
    {
        Process.Signal(signal);
        using var cts = new CancellationTokenSource(timeout);
        await Process.WaitForExitAsync(cts.Token);
    }
}
