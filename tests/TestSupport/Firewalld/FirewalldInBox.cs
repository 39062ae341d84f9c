using System.Text;

namespace Appliance.TestSupport.Firewalld;

/// <summary>
/// Debian's real firewalld running inside a test box's <c>nas</c> namespace, on a private D-Bus
/// daemon (socket <c>RunDir/bus</c>, a system-like config of our own) and in a private mount
/// namespace where <c>/etc/firewalld</c> is a directory of the box and <c>/run</c> a fresh tmpfs,
/// so neither the machine's firewall, its firewalld config nor its system bus is ever touched.
/// The permanent config (<see cref="ConfigDirectory"/>) survives <see cref="RestartAsync"/>, as
/// it would on a real box. Both processes are started with <see cref="TestBox.Start"/> and die
/// in teardown; firewalld's table lives in the nas namespace and goes with it.
/// </summary>
public sealed class FirewalldInBox
{
    public const string BusName = "org.fedoraproject.FirewallD1";

    private readonly TestBox _box;
    private BackgroundProcess? _firewalld;

    private FirewalldInBox(TestBox box)
    {
        _box = box;
        Directory = Path.Combine(box.TempDir, "firewalld");
        ConfigDirectory = Path.Combine(Directory, "etc");
        BusSocket = Path.Combine(box.RunDir, "bus");
    }

    /// <summary>/tmp/PREFIX/firewalld: bus config, logs, the mount point used while entering.</summary>
    public string Directory { get; }

    /// <summary>What firewalld sees as /etc/firewalld (firewalld.conf, zones/, policies/).</summary>
    public string ConfigDirectory { get; }

    public string BusSocket { get; }

    /// <summary>The D-Bus address clients use: <c>unix:path=/run/PREFIX/bus</c>.</summary>
    public string BusAddress => "unix:path=" + BusSocket;

    /// <summary>Environment for tools talking to this firewalld (firewall-cmd reads DBUS_SYSTEM_BUS_ADDRESS).</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>(_box.Environment)
    {
        ["DBUS_SYSTEM_BUS_ADDRESS"] = BusAddress,
    };

    public string LogFile => Path.Combine(Directory, "firewalld.log");

    public BackgroundProcess? Process => _firewalld;

    /// <summary>
    /// Starts the private bus and firewalld (backend nftables, default zone public) in the box's
    /// nas namespace and waits until firewalld answers on the bus. <paramref name="extraConfig"/>
    /// lines are appended to firewalld.conf.
    /// </summary>
    public static async Task<FirewalldInBox> StartAsync(TestBox box, IEnumerable<string>? extraConfig = null,
        CancellationToken cancellationToken = default)
    {
        var firewalld = new FirewalldInBox(box);
        System.IO.Directory.CreateDirectory(firewalld.ConfigDirectory);
        await File.WriteAllTextAsync(Path.Combine(firewalld.ConfigDirectory, "firewalld.conf"),
            string.Join('\n', ["DefaultZone=public", "FirewallBackend=nftables", "CleanupOnExit=yes", "LogDenied=off",
                "FlushAllOnReload=yes", "IndividualCalls=no", "Lockdown=no", .. extraConfig ?? []]) + "\n", cancellationToken);
        string busConfig = Path.Combine(firewalld.Directory, "bus.conf");
        await File.WriteAllTextAsync(busConfig, BusConfig(firewalld.BusSocket), cancellationToken);

        BackgroundProcess bus = box.Start(box.Nas, ["dbus-daemon", "--config-file=" + busConfig, "--nofork", "--print-address"]);
        await Poll.UntilAsync(() => File.Exists(firewalld.BusSocket) || bus.HasExited, TimeSpan.FromSeconds(10),
            () => $"the private bus did not create {firewalld.BusSocket}: {bus.Output}", cancellationToken);
        if (bus.HasExited)
        {
            throw new InvalidOperationException($"dbus-daemon exited {bus.ExitCode}: {bus.Output}");
        }
        await firewalld.StartFirewalldAsync(cancellationToken);
        return firewalld;
    }

    /// <summary>Kills firewalld (SIGTERM, as systemd would; it cleans up its table) and waits for it.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_firewalld is { HasExited: false } process)
        {
            process.Signal(15);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(20));
            await process.WaitForExitAsync(cts.Token);
        }
    }

    /// <summary>
    /// Stops firewalld and starts it again with the same permanent config, as <c>systemctl restart
    /// firewalld</c>; <paramref name="whileStopped"/> runs in between (e.g. to edit <see cref="ConfigDirectory"/>).
    /// </summary>
    public async Task RestartAsync(Action? whileStopped = null, CancellationToken cancellationToken = default)
    {
        await StopAsync(cancellationToken);
        whileStopped?.Invoke();
        await StartFirewalldAsync(cancellationToken);
    }

    /// <summary>Runs firewall-cmd against this firewalld (over the private bus) and throws if it fails.</summary>
    public async Task<string> FirewallCmdAsync(params string[] args)
    {
        CommandResult result = await Command.RunAsync(["firewall-cmd", .. args], TimeSpan.FromSeconds(60), Environment);
        return result.EnsureSuccess().Stdout.Trim();
    }

    /// <summary>firewall-cmd without throwing (for queries answering "no" with a non-zero exit).</summary>
    public Task<CommandResult> TryFirewallCmdAsync(params string[] args) =>
        Command.RunAsync(["firewall-cmd", .. args], TimeSpan.FromSeconds(60), Environment);

    private async Task StartFirewalldAsync(CancellationToken cancellationToken)
    {
        // Inside `ip netns exec` (already its own mount namespace) we unshare once more with private
        // propagation, then: our config dir on /etc/firewalld; the box's run dir (the bus socket) kept
        // aside, a fresh tmpfs on /run (pid file, /run/firewalld, no access to the machine's system
        // bus), the run dir moved back in. Nothing of this is visible outside firewalld's process.
        string aside = Path.Combine(Directory, "run-aside");
        System.IO.Directory.CreateDirectory(aside);
        string script = string.Join("; ",
            "set -e",
            $"mount --bind '{ConfigDirectory}' /etc/firewalld",
            $"mount --bind '{_box.RunDir}' '{aside}'",
            "mount -t tmpfs -o mode=0755 appliance-test-run /run",
            $"mkdir -p '{_box.RunDir}' /run/firewalld",
            $"mount --move '{aside}' '{_box.RunDir}'",
            $"exec firewalld --nofork --nopid --log-target file --log-file '{LogFile}'");
        _firewalld = _box.Start(_box.Nas, ["unshare", "--mount", "--propagation", "private", "sh", "-c", script], Environment);
        BackgroundProcess process = _firewalld;
        await Poll.UntilAsync(async () =>
            process.HasExited || (await TryFirewallCmdAsync("--state")).Stdout.Trim() == "running",
            TimeSpan.FromSeconds(60), () => $"firewalld did not come up on {BusAddress}: {process.Output}\n{ReadLog()}", cancellationToken);
        if (process.HasExited)
        {
            throw new InvalidOperationException($"firewalld exited {process.ExitCode}: {process.Output}\n{ReadLog()}");
        }
    }

    /// <summary>firewalld's own log (errors it reports for bad calls land here).</summary>
    public string ReadLog() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no firewalld log)";

    private static string BusConfig(string socket)
    {
        // A system-like bus: EXTERNAL auth only (peers are known by uid), only root may own names.
        var xml = new StringBuilder();
        xml.AppendLine("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">""");
        xml.AppendLine("<busconfig>");
        xml.AppendLine("  <type>system</type>");
        xml.AppendLine($"  <listen>unix:path={socket}</listen>");
        xml.AppendLine("  <auth>EXTERNAL</auth>");
        xml.AppendLine("  <policy context=\"default\">");
        xml.AppendLine("    <allow user=\"root\"/>");
        xml.AppendLine("    <allow send_destination=\"*\" eavesdrop=\"true\"/>");
        xml.AppendLine("    <allow receive_sender=\"*\"/>");
        xml.AppendLine("  </policy>");
        xml.AppendLine("  <policy user=\"root\">");
        xml.AppendLine($"    <allow own=\"{BusName}\"/>");
        xml.AppendLine($"    <allow own=\"{BusName}.config\"/>");
        xml.AppendLine("  </policy>");
        xml.AppendLine("</busconfig>");
        return xml.ToString();
    }
}
