using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Appliance.Netfilter.Linux;

namespace Appliance.TestSupport;

/// <summary>
/// A whole small network for one test: a namespace <see cref="Nas"/> that plays the appliance
/// host, a laptop on its LAN side and (optionally) a client on its WAN side, wired by veth pairs
/// created directly inside the namespaces. Nothing is ever created in, or applied to, the
/// machine's own network namespace. Everything is named with <see cref="Prefix"/> and removed by
/// name in <see cref="DisposeAsync"/>, which keeps going after a failure and reports all of them.
/// </summary>
public sealed class TestBox : IAsyncDisposable
{
    public const string LanSubnet = "192.168.50.0/24";
    public const string NasLanAddress = "192.168.50.1";
    public const string LaptopAddress = "192.168.50.10";
    public const string WanSubnet = "203.0.113.0/24";
    public const string NasWanAddress = "203.0.113.1";
    public const string WanClientAddress = "203.0.113.10";

    private readonly List<string> _namespaces = new();
    private readonly List<BackgroundProcess> _processes = new();
    private readonly List<(string What, Func<Task> Cleanup)> _cleanups = new();

    private TestBox(string prefix)
    {
        Prefix = prefix;
        TempDir = Path.Combine(Path.GetTempPath(), prefix);
        RunDir = Path.Combine("/run", prefix);
        Directory.CreateDirectory(TempDir);
        Directory.CreateDirectory(RunDir);
        Nas = new TestHost("nas", prefix + "-nas", NasLanAddress, LanSubnet);
        Laptop = new TestHost("laptop", prefix + "-lan", LaptopAddress, LanSubnet);
    }

    /// <summary>tb + 6 hex digits; every object of this box starts with it.</summary>
    public string Prefix { get; }

    /// <summary>The appliance host. Its LAN address is <see cref="NasLanAddress"/>.</summary>
    public TestHost Nas { get; }

    /// <summary>A client on the LAN (<see cref="LanSubnet"/>).</summary>
    public TestHost Laptop { get; }

    /// <summary>A client on the internet side, when the box was created with one.</summary>
    public TestHost? WanClient { get; private set; }

    /// <summary>/tmp/PREFIX: state dirs, bundles, logs. Removed in teardown.</summary>
    public string TempDir { get; }

    /// <summary>/run/PREFIX: runc root, netns bind mounts of the product under test. Removed in teardown.</summary>
    public string RunDir { get; }

    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { [TestPrefix.EnvironmentVariable] = Prefix };

    public static async Task<TestBox> CreateAsync(bool withWan = false, CancellationToken cancellationToken = default)
    {
        var box = new TestBox(TestPrefix.New());
        try
        {
            await box.BuildAsync(withWan, cancellationToken);
            return box;
        }
        catch
        {
            await box.DisposeAsync();
            throw;
        }
    }

    private async Task BuildAsync(bool withWan, CancellationToken cancellationToken)
    {
        await AddNamespaceAsync(Nas.NamespaceName);
        await AddNamespaceAsync(Laptop.NamespaceName);
        if (withWan)
        {
            WanClient = new TestHost("wan", Prefix + "-wan", WanClientAddress, WanSubnet);
            await AddNamespaceAsync(WanClient.NamespaceName);
        }
        await WireNasAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// What a reboot does to the nas's network: its namespace goes with everything in it (bridges, veths, routes, the
    /// nft ruleset) and comes back empty under the same name, wired to the LAN (and WAN) clients as at creation.
    /// </summary>
    public async Task RecreateNasNamespaceAsync()
    {
        // The kernel frees a deleted namespace (and the client ends of its veths) in the background: the client links go first, now.
        await Ip(Nas, "link", "del", "lan0");
        if (WanClient is not null)
        {
            await Ip(Nas, "link", "del", "wan0");
        }
        await Command.CheckAsync("ip", "netns", "del", Nas.NamespaceName);
        await Command.CheckAsync("ip", "netns", "add", Nas.NamespaceName);
        await Command.CheckAsync("ip", "-n", Nas.NamespaceName, "link", "set", "lo", "up");
        await WireNasAsync();
    }

    /// <summary>The nas's veths to the clients (which take the peers' ends with them when the nas goes), addresses and routes.</summary>
    private async Task WireNasAsync()
    {
        await Ip(Nas, "link", "add", "lan0", "type", "veth", "peer", "name", "eth0", "netns", Laptop.NamespaceName);
        await Ip(Nas, "addr", "add", NasLanAddress + "/24", "dev", "lan0");
        await Ip(Nas, "link", "set", "lan0", "up");
        await Ip(Laptop, "addr", "add", LaptopAddress + "/24", "dev", "eth0");
        await Ip(Laptop, "link", "set", "eth0", "up");
        await Ip(Laptop, "route", "add", "default", "via", NasLanAddress);
        if (WanClient is not null)
        {
            await Ip(Nas, "link", "add", "wan0", "type", "veth", "peer", "name", "eth0", "netns", WanClient.NamespaceName);
            await Ip(Nas, "addr", "add", NasWanAddress + "/24", "dev", "wan0");
            await Ip(Nas, "link", "set", "wan0", "up");
            await Ip(WanClient, "addr", "add", WanClientAddress + "/24", "dev", "eth0");
            await Ip(WanClient, "link", "set", "eth0", "up");
            await Ip(WanClient, "route", "add", "default", "via", NasWanAddress);
        }
        (await ExecAsync(Nas, "sysctl", "-qw", "net.ipv4.ip_forward=1")).EnsureSuccess();
    }

    private async Task AddNamespaceAsync(string name)
    {
        await Command.CheckAsync("ip", "netns", "add", name);
        _namespaces.Add(name);
        await Command.CheckAsync("ip", "-n", name, "link", "set", "lo", "up");
    }

    private static Task<CommandResult> Ip(TestHost host, params string[] args) =>
        Command.CheckAsync(["ip", "-n", host.NamespaceName, .. args]);

    /// <summary>Runs a command inside a host of the box and waits for it.</summary>
    public Task<CommandResult> ExecAsync(TestHost host, params string[] argv) =>
        Command.RunAsync(["ip", "netns", "exec", host.NamespaceName, .. argv], TimeSpan.FromMinutes(2), Environment);

    /// <summary>Starts a long-running command inside a host of the box; it is killed in teardown.</summary>
    public BackgroundProcess Start(TestHost host, IReadOnlyList<string> argv, IReadOnlyDictionary<string, string>? environment = null) =>
        Start($"{host.Role}: {string.Join(' ', argv)}", ["ip", "netns", "exec", host.NamespaceName, .. argv], environment);

    /// <summary>Starts a long-running command in the machine's own namespace (e.g. a daemon pointed at the box with --netns);
    /// it carries the test prefix in its environment and is killed in teardown.</summary>
    public BackgroundProcess StartOnMachine(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string>? environment = null) =>
        Start($"machine: {string.Join(' ', argv)}", argv, environment);

    private BackgroundProcess Start(string description, IReadOnlyList<string> argv, IReadOnlyDictionary<string, string>? environment)
    {
        var psi = new ProcessStartInfo(argv[0]);
        foreach (string arg in argv.Skip(1))
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment[TestPrefix.EnvironmentVariable] = Prefix;
        if (environment is not null)
        {
            foreach ((string key, string value) in environment)
            {
                psi.Environment[key] = value;
            }
        }
        var process = new BackgroundProcess(description, psi);
        lock (_processes)
        {
            _processes.Add(process);
        }
        return process;
    }

    /// <summary>
    /// A network namespace of its own (not in /run/netns) as a bind-mounted nsfs file under
    /// RunDir/netns/NAME, made with <c>unshare --net=FILE</c>, as the product makes them; its loopback is up.
    /// Unmounted and deleted in teardown.
    /// </summary>
    public async Task<string> CreateNamespaceFileAsync(string name)
    {
        string dir = Path.Combine(RunDir, "netns");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, name);
        await File.WriteAllBytesAsync(path, []);
        OnTeardown($"netns file {path}", async () =>
        {
            await Command.RunAsync("umount", path);
            File.Delete(path);
        });
        await Command.CheckAsync("unshare", "--net=" + path, "true");
        await Command.CheckAsync("nsenter", "--net=" + path, "ip", "link", "set", "lo", "up");
        return path;
    }

    /// <summary>Registers a teardown step; steps run in reverse order before the namespaces go.</summary>
    public void OnTeardown(string what, Func<Task> cleanup)
    {
        lock (_cleanups)
        {
            _cleanups.Add((what, cleanup));
        }
    }

    /// <summary>
    /// Tries a TCP connection from <paramref name="from"/> and reads the first line the server
    /// sends, if any. Returns null when the connection is refused, reset or times out.
    /// </summary>
    public static Task<string?> TryConnectTcpAsync(TestHost from, string address, int port, TimeSpan timeout,
        CancellationToken cancellationToken = default) =>
        TryConnectTcpAsync(from.Namespace, address, port, timeout, cancellationToken);

    /// <summary>As above, from any namespace (e.g. a container's, bound under <see cref="RunDir"/>).</summary>
    public static Task<string?> TryConnectTcpAsync(NetworkNamespace from, string address, int port, TimeSpan timeout,
        CancellationToken cancellationToken = default) =>
        from.RunAsync<string?>(() =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                IAsyncResult pending = socket.BeginConnect(IPAddress.Parse(address), port, null, null);
                if (!pending.AsyncWaitHandle.WaitOne(timeout))
                {
                    return null;
                }
                socket.EndConnect(pending);
                socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
                var buffer = new byte[512];
                try
                {
                    int read = socket.Receive(buffer);
                    return Encoding.UTF8.GetString(buffer, 0, read);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
                {
                    return "";
                }
            }
            catch (SocketException)
            {
                return null;
            }
        }, cancellationToken);

    /// <summary>
    /// Sends <c>GET <paramref name="path"/> HTTP/1.0</c> from <paramref name="from"/> and returns
    /// the status line (e.g. "HTTP/1.1 200 OK"). Null when the connection is refused, reset or
    /// times out, or the server closes without answering.
    /// </summary>
    public static Task<string?> TryHttpGetAsync(TestHost from, string address, int port, string path, TimeSpan timeout,
        CancellationToken cancellationToken = default) =>
        from.Namespace.RunAsync<string?>(() =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                IAsyncResult pending = socket.BeginConnect(IPAddress.Parse(address), port, null, null);
                if (!pending.AsyncWaitHandle.WaitOne(timeout))
                {
                    return null;
                }
                socket.EndConnect(pending);
                socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
                socket.Send(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.0\r\nHost: {address}:{port}\r\n\r\n"));
                var received = new StringBuilder();
                var buffer = new byte[512];
                while (!received.ToString().Contains('\n', StringComparison.Ordinal))
                {
                    int read = socket.Receive(buffer);
                    if (read == 0)
                    {
                        break;
                    }
                    received.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }
                string text = received.ToString();
                int end = text.IndexOf('\n', StringComparison.Ordinal);
                return end < 0 ? null : text[..end].TrimEnd('\r');
            }
            catch (SocketException)
            {
                return null;
            }
        }, cancellationToken);

    /// <summary>
    /// Listens for TCP on <paramref name="host"/> and greets each client with
    /// <paramref name="banner"/> + newline. Stops in teardown.
    /// </summary>
    public Task<TcpListener> ListenTcpAsync(TestHost host, string address, int port, string banner,
        CancellationToken cancellationToken = default) =>
        ListenTcpAsync(host.Namespace, host.Role, address, port, banner, cancellationToken);

    /// <summary>As above, in any namespace (e.g. a container's, bound under <see cref="RunDir"/>).</summary>
    public async Task<TcpListener> ListenTcpAsync(NetworkNamespace ns, string description, string address, int port, string banner,
        CancellationToken cancellationToken = default)
    {
        TcpListener listener = await ns.RunAsync(() =>
        {
            var l = new TcpListener(IPAddress.Parse(address), port);
            l.Start();
            return l;
        }, cancellationToken);
        byte[] greeting = Encoding.UTF8.GetBytes(banner + "\n");
        _ = Task.Run(async () =>
        {
            while (true)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptSocketAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                using (client)
                {
                    try
                    {
                        await client.SendAsync(greeting, SocketFlags.None);
                    }
                    catch (SocketException)
                    {
                    }
                }
            }
        });
        OnTeardown($"listener {address}:{port} in {description}", () => { listener.Stop(); return Task.CompletedTask; });
        return listener;
    }

    public async ValueTask DisposeAsync()
    {
        var failures = new List<string>();
        List<(string What, Func<Task> Cleanup)> cleanups;
        lock (_cleanups)
        {
            cleanups = _cleanups.AsEnumerable().Reverse().ToList();
            _cleanups.Clear();
        }
        foreach ((string what, Func<Task> cleanup) in cleanups)
        {
            try
            {
                await cleanup();
            }
            catch (Exception e)
            {
                failures.Add($"{what}: {e.Message}");
            }
        }
        List<BackgroundProcess> processes;
        lock (_processes)
        {
            processes = _processes.ToList();
            _processes.Clear();
        }
        foreach (BackgroundProcess process in processes)
        {
            try
            {
                await process.DisposeAsync();
            }
            catch (Exception e)
            {
                failures.Add($"process '{process.Description}': {e.Message}");
            }
        }
        foreach (string ns in _namespaces.AsEnumerable().Reverse())
        {
            CommandResult result = await Command.RunAsync("ip", "netns", "del", ns);
            if (!result.Succeeded && File.Exists($"/run/netns/{ns}"))
            {
                failures.Add($"netns {ns}: {result.Stderr.Trim()}");
            }
        }
        _namespaces.Clear();
        foreach (string dir in new[] { TempDir, RunDir })
        {
            try
            {
                if (Directory.Exists(dir))
                {
                    Mounts.DetachUnder(dir); // e.g. an image store's layer images
                    Directory.Delete(dir, recursive: true);
                }
            }
            catch (Exception e)
            {
                failures.Add($"dir {dir}: {e.Message}");
            }
        }
        if (failures.Count > 0)
        {
            throw new InvalidOperationException($"test box {Prefix} teardown left problems:\n  " + string.Join("\n  ", failures));
        }
    }
}
