using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Appliance.TestSupport.Registry;

/// <summary>
/// Debian's <c>docker-registry</c> (distribution 2.8) serving HTTP on 127.0.0.1 at a free port,
/// with its own config file and storage under <c>/tmp/PREFIX-registry</c>. The process carries
/// the test prefix in its environment, so the leak guard sees it if a teardown is missed.
/// <see cref="DisposeAsync"/> kills it by PID and removes the directory.
/// </summary>
public sealed class LocalRegistry : IAsyncDisposable
{
    public const string Binary = "/usr/bin/docker-registry";

    private readonly Process _process;
    private readonly HashSet<string> _pushed = new();
    private readonly SemaphoreSlim _pushGate = new(1, 1);

    private LocalRegistry(string prefix, string directory, int port, Process process, string? credentials)
    {
        Prefix = prefix;
        Directory = directory;
        Port = port;
        _process = process;
        Credentials = credentials;
    }

    public string Prefix { get; }

    /// <summary>/tmp/PREFIX-registry: config.yml, storage/, registry.log.</summary>
    public string Directory { get; }

    public int Port { get; }

    /// <summary>"127.0.0.1:PORT", the registry part of an image reference.</summary>
    public string Host => $"127.0.0.1:{Port}";

    public Uri BaseUri => new($"http://{Host}/");

    public int ProcessId => _process.Id;

    /// <summary>"user:password" skopeo uses when the registry requires basic auth.</summary>
    public string? Credentials { get; set; }

    /// <summary>An image reference in this registry, e.g. 127.0.0.1:41234/gitlab-probe:latest.</summary>
    public string Reference(string repository, string tag = "latest") => $"{Host}/{repository}:{tag}";

    public static async Task<LocalRegistry> StartAsync(LocalRegistryOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalRegistryOptions();
        string prefix = options.Prefix ?? TestPrefix.New();
        string directory = Path.Combine(Path.GetTempPath(), prefix + "-registry");
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "storage"));
        Exception? last = null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            int port = FreePort();
            string config = Path.Combine(directory, "config.yml");
            await File.WriteAllTextAsync(config, Config(directory, port, options.HtpasswdFile), cancellationToken);
            var psi = new ProcessStartInfo(Binary)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            psi.ArgumentList.Add("serve");
            psi.ArgumentList.Add(config);
            psi.Environment[TestPrefix.EnvironmentVariable] = prefix;
            var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {Binary}");
            var log = new LogSink(Path.Combine(directory, "registry.log"));
            process.OutputDataReceived += (_, e) => log.Append(e.Data);
            process.ErrorDataReceived += (_, e) => log.Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var registry = new LocalRegistry(prefix, directory, port, process, options.Credentials);
            try
            {
                await registry.WaitUntilAnsweringAsync(log, cancellationToken);
                if (options.PushTestImages)
                {
                    await registry.PushTestImagesAsync(cancellationToken);
                }
                return registry;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                last = e;
                bool died = process.HasExited;
                await registry.StopProcessAsync();
                if (!died)
                {
                    break; // it ran but something else failed: do not retry on another port
                }
            }
        }
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        throw new InvalidOperationException($"docker-registry did not start: {last?.Message}", last);
    }

    /// <summary>Pushes every small test image (built or taken from the cache first).</summary>
    public async Task PushTestImagesAsync(CancellationToken cancellationToken = default)
    {
        string layout = await TestImages.BuildAsync(cancellationToken);
        await Task.WhenAll(TestImages.Small.Select(name => PushAsync(layout, name, name, "latest", cancellationToken)));
    }

    /// <summary>Pushes the large benchmark image (built on first use; ~130 MB).</summary>
    public async Task PushLargeImageAsync(CancellationToken cancellationToken = default)
    {
        string layout = await TestImages.BuildLargeAsync(cancellationToken);
        await PushAsync(layout, TestImages.BenchLarge, TestImages.BenchLarge, "latest", cancellationToken);
    }

    /// <summary>
    /// <c>skopeo copy oci:LAYOUT:LAYOUTTAG docker://HOST/REPOSITORY:TAG</c> (once per target).
    /// With <paramref name="all"/>, an index in the layout is copied with every platform.
    /// </summary>
    public async Task PushAsync(string layout, string layoutTag, string repository, string tag = "latest",
        CancellationToken cancellationToken = default, bool all = false)
    {
        string target = Reference(repository, tag);
        await _pushGate.WaitAsync(cancellationToken);
        try
        {
            if (!_pushed.Add($"{layout}:{layoutTag}->{target}"))
            {
                return;
            }
        }
        finally
        {
            _pushGate.Release();
        }
        var argv = new List<string> { "skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false" };
        if (Credentials is not null)
        {
            argv.Add("--dest-creds=" + Credentials);
        }
        if (all)
        {
            argv.Add("--all");
        }
        argv.Add($"oci:{layout}:{layoutTag}");
        argv.Add("docker://" + target);
        CommandResult result = await Command.RunAsync(argv, TimeSpan.FromMinutes(3), cancellationToken: cancellationToken);
        if (!result.Succeeded)
        {
            await _pushGate.WaitAsync(cancellationToken);
            _pushed.Remove($"{layout}:{layoutTag}->{target}");
            _pushGate.Release();
            result.EnsureSuccess();
        }
    }

    private async Task WaitUntilAnsweringAsync(LogSink log, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Poll.UntilAsync(async () =>
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"docker-registry exited {_process.ExitCode} on port {Port}: {log.Text}");
            }
            try
            {
                using HttpResponseMessage response = await http.GetAsync(new Uri(BaseUri, "v2/"), cancellationToken);
                // 200, or 401 when it requires auth: either way it is serving the API.
                return response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(20), () => $"docker-registry on {Host} did not answer /v2/: {log.Text}", cancellationToken);
    }

    private static string Config(string directory, int port, string? htpasswd)
    {
        string auth = htpasswd is null ? "" : $"""
            auth:
              htpasswd:
                realm: appliance-test
                path: {htpasswd}
            """;
        return $"""
            version: 0.1
            log:
              level: warn
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: {Path.Combine(directory, "storage")}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{port}
            {auth}
            """;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private async Task StopProcessAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(cts.Token);
            }
        }
        catch (InvalidOperationException)
        {
            // already reaped
        }
    }

    public async ValueTask DisposeAsync()
    {
        var failures = new List<string>();
        try
        {
            await StopProcessAsync();
        }
        catch (Exception e)
        {
            failures.Add($"docker-registry pid {_process.Id}: {e.Message}");
        }
        _process.Dispose();
        try
        {
            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        }
        catch (Exception e)
        {
            failures.Add($"dir {Directory}: {e.Message}");
        }
        if (failures.Count > 0)
        {
            throw new InvalidOperationException($"registry {Prefix} teardown left problems:\n  " + string.Join("\n  ", failures));
        }
    }

    private sealed class LogSink(string path)
    {
        private readonly System.Text.StringBuilder _text = new();

        public string Text
        {
            get
            {
                lock (_text)
                {
                    return _text.ToString();
                }
            }
        }

        public void Append(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (_text)
            {
                _text.AppendLine(line);
                try
                {
                    File.AppendAllText(path, line + "\n");
                }
                catch (IOException)
                {
                    // the directory is being removed
                }
            }
        }
    }
}
