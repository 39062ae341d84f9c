using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Appliance.Orchestrator.Runtime;

/// <summary>
/// <see cref="IContainerRuntime"/> on runc, with conmon as each container's monitor (as Podman
/// does). Layout: STATE/containers/ID holds the bundle (config.json, hosts, resolv.conf,
/// hostname), conmon's log (ctr.log), the exit file (exit/ID) and pid files; RUN/runc is runc's
/// root and RUN/conmon conmon's socket dir. Nothing lives only in memory: a new instance with
/// the same options sees the same containers.
/// </summary>
public sealed partial class RuncRuntime : IContainerRuntime
{
    internal const string LogFileName = "ctr.log";
    private const string ConmonPidFileName = "conmon.pid";
    private const string PidFileName = "pid";
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    private readonly RuntimeOptions _options;

    public RuncRuntime(RuntimeOptions options)
    {
        _options = options;
    }

    public RuntimeOptions Options => _options;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex ValidId();

    private string BundleOf(string id) => Path.Combine(_options.ContainersDirectory, id);

    private string ExitFileOf(string id) => Path.Combine(BundleOf(id), "exit", id);

    internal string LogFileOf(string id) => Path.Combine(BundleOf(id), LogFileName);

    public async Task<ContainerState> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        if (!ValidId().IsMatch(spec.Id))
        {
            problems.Add($"id: '{spec.Id}' is not a valid container id; use letters, digits, '-', '_', '.' (at most 64)");
        }
        if (!Directory.Exists(spec.RootfsPath))
        {
            problems.Add($"rootfs: '{spec.RootfsPath}' is not a directory");
        }
        if (spec.Process.Args.Count == 0)
        {
            problems.Add("process: nothing to run; the image has no Entrypoint/Cmd and the service no command");
        }
        if (spec.NetworkNamespacePath is { } ns && !File.Exists(ns))
        {
            problems.Add($"network namespace: '{ns}' does not exist; create it before the container");
        }
        IReadOnlyList<string> caps = Capabilities.Resolve(spec.CapAdd, spec.CapDrop, problems);
        IReadOnlyList<ContainerMount> mounts = MountValidator.Validate(spec.Mounts, problems);
        (uint, uint)? user = Directory.Exists(spec.RootfsPath) ? UserResolver.Resolve(spec.Process.User, spec.RootfsPath, problems) : null;
        if (problems.Count > 0 || user is null)
        {
            throw new InvalidContainerSpecException(spec.Id, problems);
        }

        if (await InspectAsync(spec.Id, cancellationToken) is not null)
        {
            throw new InvalidContainerSpecException(spec.Id, [$"id: a container '{spec.Id}' already exists; remove it first"]);
        }

        string bundle = BundleOf(spec.Id);
        if (Directory.Exists(bundle))
        {
            Directory.Delete(bundle, recursive: true); // leftovers of a container runc no longer knows
        }
        Directory.CreateDirectory(Path.Combine(bundle, "exit"));
        Directory.CreateDirectory(_options.RuncRoot);
        Directory.CreateDirectory(_options.SocketDirectory);
        string resolv = spec.ResolvConf ?? (File.Exists("/etc/resolv.conf") ? await File.ReadAllTextAsync("/etc/resolv.conf", cancellationToken) : "");
        await File.WriteAllTextAsync(Path.Combine(bundle, OciConfig.HostsFileName), HostsFile.Render(spec.Hosts), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(bundle, OciConfig.ResolvConfFileName), resolv, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(bundle, OciConfig.HostnameFileName), (spec.Hostname ?? spec.Id) + "\n", cancellationToken);
        JsonObject config = OciConfig.Build(spec, bundle, user.Value, caps, mounts);
        await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), config.ToJsonString(), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(bundle, LogLimitsFileName), spec.Logs.Serialize(), cancellationToken);

        try
        {
            await StartConmonAsync(spec.Id, bundle, cancellationToken);
        }
        catch
        {
            await RemoveAsync(spec.Id, CancellationToken.None);
            throw;
        }
        return await InspectAsync(spec.Id, cancellationToken) ?? throw new ContainerNotFoundException(spec.Id);
    }

    public async Task StartAsync(string id, CancellationToken cancellationToken = default)
    {
        ToolRunner.Result result = await RuncAsync(["start", id], cancellationToken);
        if (result.ExitCode != 0)
        {
            ThrowFor("runc start", id, result);
        }
    }

    public async Task<ContainerState> StopAsync(string id, TimeSpan gracePeriod, string? stopSignal = null, CancellationToken cancellationToken = default)
    {
        ContainerState state = await InspectAsync(id, cancellationToken) ?? throw new ContainerNotFoundException(id);
        if (state.Status is ContainerStatus.Stopped)
        {
            return state;
        }
        if (state.Status is ContainerStatus.Running or ContainerStatus.Paused)
        {
            await KillAsync(id, stopSignal ?? "SIGTERM", cancellationToken);
            if (await WaitForExitFileAsync(id, gracePeriod, cancellationToken))
            {
                return await InspectAsync(id, cancellationToken) ?? throw new ContainerNotFoundException(id);
            }
        }
        await KillAsync(id, "KILL", cancellationToken);
        if (!await WaitForExitFileAsync(id, TimeSpan.FromSeconds(10), cancellationToken) && state.Status is not ContainerStatus.Created)
        {
            throw new RuntimeCommandException("stop", id, -1, "the container did not exit within 10 s of SIGKILL");
        }
        return await InspectAsync(id, cancellationToken) ?? throw new ContainerNotFoundException(id);
    }

    private async Task KillAsync(string id, string signal, CancellationToken cancellationToken)
    {
        ToolRunner.Result result = await RuncAsync(["kill", "--all", id, signal], cancellationToken);
        // A container that ended meanwhile is not an error.
        if (result.ExitCode != 0 && !IsGone(result) && !result.Stderr.Contains("not running", StringComparison.OrdinalIgnoreCase)
            && !result.Stderr.Contains("process already finished", StringComparison.OrdinalIgnoreCase))
        {
            ThrowFor($"runc kill {signal}", id, result);
        }
    }

    private async Task<bool> WaitForExitFileAsync(string id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string exitFile = ExitFileOf(id);
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (File.Exists(exitFile))
            {
                return true;
            }
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }
            await Task.Delay(20, cancellationToken);
        }
    }

    public async Task RestartAsync(string id, TimeSpan gracePeriod, string? stopSignal = null, CancellationToken cancellationToken = default)
    {
        ContainerState state = await InspectAsync(id, cancellationToken) ?? throw new ContainerNotFoundException(id);
        if (state.Status is ContainerStatus.Running or ContainerStatus.Paused)
        {
            await StopAsync(id, gracePeriod, stopSignal, cancellationToken);
        }
        ToolRunner.Result deleted = await RuncAsync(["delete", "--force", id], cancellationToken);
        if (deleted.ExitCode != 0 && !IsGone(deleted))
        {
            ThrowFor("runc delete", id, deleted);
        }
        string bundle = BundleOf(id);
        await WaitForConmonAsync(id, bundle, cancellationToken);
        foreach (string file in new[] { ExitFileOf(id), Path.Combine(bundle, PidFileName), Path.Combine(bundle, ConmonPidFileName) })
        {
            File.Delete(file);
        }
        DeleteSocketEntry(id);
        await StartConmonAsync(id, bundle, cancellationToken);
        await StartAsync(id, cancellationToken);
    }

    private static async Task WaitForConmonAsync(string id, string bundle, CancellationToken cancellationToken)
    {
        // The pid file outlives a reboot (the bundle is under the state dir): only a conmon of this container is waited for, or killed.
        if (ReadPid(Path.Combine(bundle, ConmonPidFileName)) is not int pid || !IsConmonOf(pid, id))
        {
            return;
        }
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (IsAlive(pid) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10, cancellationToken);
        }
        if (IsAlive(pid) && IsConmonOf(pid, id))
        {
            Tmds.Linux.LibC.kill(pid, 9);
        }
    }

    /// <summary>Whether <paramref name="pid"/> is a conmon monitoring container <paramref name="id"/> (its argv has <c>-c ID</c>).</summary>
    private static bool IsConmonOf(int pid, string id)
    {
        try
        {
            string[] argv = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            return argv.Zip(argv.Skip(1)).Any(pair => pair.First == "-c" && pair.Second == id);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private void DeleteSocketEntry(string id)
    {
        string path = Path.Combine(_options.SocketDirectory, id);
        if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null)
        {
            Directory.Delete(path, recursive: true);
        }
        else if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            File.Delete(path);
        }
    }

    public async Task RemoveAsync(string id, CancellationToken cancellationToken = default)
    {
        var failures = new List<string>();
        ToolRunner.Result result = await RuncAsync(["delete", "--force", id], cancellationToken);
        if (result.ExitCode != 0 && !IsGone(result))
        {
            failures.Add($"runc delete: {result.Stderr.Trim()}");
        }

        string bundle = BundleOf(id);
        await WaitForConmonAsync(id, bundle, cancellationToken);
        try
        {
            DeleteSocketEntry(id);
        }
        catch (IOException e)
        {
            failures.Add($"conmon socket of '{id}': {e.Message}");
        }
        try
        {
            if (Directory.Exists(bundle))
            {
                Directory.Delete(bundle, recursive: true);
            }
        }
        catch (IOException e)
        {
            failures.Add($"bundle {bundle}: {e.Message}");
        }
        if (failures.Count > 0)
        {
            throw new RuntimeCommandException("remove", id, result.ExitCode, string.Join("; ", failures));
        }
    }

    public async Task<ContainerState?> InspectAsync(string id, CancellationToken cancellationToken = default) =>
        RunningStateFromFiles(id) ?? await RuncStateAsync(id, cancellationToken);

    /// <summary>`runc state` of one container (null when runc knows none of that id), settled as <see cref="SettledStateAsync"/>.</summary>
    private async Task<ContainerState?> RuncStateAsync(string id, CancellationToken cancellationToken)
    {
        ToolRunner.Result result = await RuncAsync(["state", id], cancellationToken);
        if (result.ExitCode != 0)
        {
            if (IsGone(result))
            {
                return null;
            }
            ThrowFor("runc state", id, result);
        }
        using JsonDocument doc = JsonDocument.Parse(result.Stdout);
        return await SettledStateAsync(doc.RootElement, cancellationToken);
    }

    /// <summary>
    /// Those that run from runc's files (<see cref="RunningStateFromFiles"/>, no process); the others with one `runc list`
    /// (one process, where `runc state` is one per container: the periodic reconcile pass and a health check of a service
    /// with dependencies look at several), or `runc state` when only one is left.
    /// </summary>
    public async Task<IReadOnlyList<ContainerState?>> InspectAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken = default)
    {
        var states = new ContainerState?[ids.Count];
        List<int> unsure = [];
        for (int i = 0; i < ids.Count; i++)
        {
            if ((states[i] = RunningStateFromFiles(ids[i])) is null)
            {
                unsure.Add(i);
            }
        }
        if (unsure.Count == 1)
        {
            states[unsure[0]] = await RuncStateAsync(ids[unsure[0]], cancellationToken);
        }
        if (unsure.Count <= 1)
        {
            return states;
        }
        using JsonDocument? doc = await ListDocumentAsync(cancellationToken);
        var byId = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (doc is { RootElement.ValueKind: JsonValueKind.Array })
        {
            foreach (JsonElement e in doc.RootElement.EnumerateArray())
            {
                byId[e.GetProperty("id").GetString()!] = e;
            }
        }
        foreach (int i in unsure)
        {
            states[i] = byId.TryGetValue(ids[i], out JsonElement e) ? await SettledStateAsync(e, cancellationToken) : null;
        }
        return states;
    }

    /// <summary>
    /// The state runc reported; for a container runc sees stopped while its conmon still runs, the state once conmon has
    /// reaped it and written the exit file (runc sees the process gone a moment before), within 5 s.
    /// </summary>
    private async Task<ContainerState> SettledStateAsync(JsonElement e, CancellationToken cancellationToken)
    {
        ContainerState state = ToState(e);
        if (state.Status == ContainerStatus.Stopped && state.ExitCode is null
            && ReadPid(Path.Combine(BundleOf(state.Id), ConmonPidFileName)) is int conmon && IsAlive(conmon))
        {
            DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while ((state = ToState(e)).ExitCode is null && IsAlive(conmon) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(5, cancellationToken);
            }
        }
        return state;
    }

    public async Task<IReadOnlyList<ContainerState>> ListAsync(CancellationToken cancellationToken = default)
    {
        using JsonDocument? doc = await ListDocumentAsync(cancellationToken);
        return doc is { RootElement.ValueKind: JsonValueKind.Array } ? doc.RootElement.EnumerateArray().Select(ToState).ToList() : [];
    }

    /// <summary>`runc list --format json`; null when the runtime's root does not exist yet (no container was ever created).</summary>
    private async Task<JsonDocument?> ListDocumentAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_options.RuncRoot))
        {
            return null;
        }
        ToolRunner.Result result = await RuncAsync(["list", "--format", "json"], cancellationToken);
        if (result.ExitCode != 0)
        {
            ThrowFor("runc list", "*", result);
        }
        return JsonDocument.Parse(string.IsNullOrWhiteSpace(result.Stdout) ? "null" : result.Stdout);
    }

    private ContainerState ToState(JsonElement e)
    {
        string id = e.GetProperty("id").GetString()!;
        ContainerStatus status = ParseStatus(e.GetProperty("status").GetString());
        int? exitCode = null;
        if (status == ContainerStatus.Stopped && File.Exists(ExitFileOf(id))
            && int.TryParse(File.ReadAllText(ExitFileOf(id)).Trim(), out int code))
        {
            exitCode = code;
        }
        return new ContainerState
        {
            Id = id,
            Status = status,
            Pid = e.TryGetProperty("pid", out JsonElement pid) ? pid.GetInt32() : 0,
            ExitCode = exitCode,
            Bundle = e.TryGetProperty("bundle", out JsonElement b) ? b.GetString() ?? "" : "",
            Created = e.TryGetProperty("created", out JsonElement c) && DateTimeOffset.TryParse(c.GetString(), out DateTimeOffset t) ? t : default,
            Labels = e.TryGetProperty("annotations", out JsonElement a) && a.ValueKind == JsonValueKind.Object
                ? a.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "")
                : new Dictionary<string, string>(),
        };
    }

    /// <summary>The one mapping from runc's state strings.</summary>
    internal static ContainerStatus ParseStatus(string? status) => status switch
    {
        "creating" => ContainerStatus.Creating,
        "created" => ContainerStatus.Created,
        "running" => ContainerStatus.Running,
        "paused" => ContainerStatus.Paused,
        "stopped" => ContainerStatus.Stopped,
        _ => throw new FormatException($"runc reported an unknown container status '{status}'"),
    };

    private Task<ToolRunner.Result> RuncAsync(IEnumerable<string> args, CancellationToken cancellationToken) =>
        ToolRunner.RunAsync(_options.RuncPath, ["--root", _options.RuncRoot, .. args], _options.ToolEnvironment, ToolTimeout, cancellationToken);

    private static bool IsGone(ToolRunner.Result result) =>
        result.Stderr.Contains("does not exist", StringComparison.OrdinalIgnoreCase);

    private static void ThrowFor(string operation, string id, ToolRunner.Result result)
    {
        if (IsGone(result))
        {
            throw new ContainerNotFoundException(id);
        }
        throw new RuntimeCommandException(operation, id, result.ExitCode, RuncMessage(result.Stderr + result.Stdout));
    }

    /// <summary>runc prints `time="..." level=error msg="..."`; keep the message.</summary>
    private static string RuncMessage(string text)
    {
        Match m = Regex.Match(text, "msg=\"((?:[^\"\\\\]|\\\\.)*)\"");
        return m.Success ? Regex.Unescape(m.Groups[1].Value) : text.Trim();
    }

    private static int? ReadPid(string file)
    {
        try
        {
            return int.TryParse(File.ReadAllText(file).Trim(), out int pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Alive and not a zombie (an unreaped conmon counts as gone).</summary>
    private static bool IsAlive(int pid) => ProcessStartTime(pid) is not null;
}
