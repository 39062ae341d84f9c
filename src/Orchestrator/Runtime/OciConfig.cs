using System.Text.Json.Nodes;

namespace Appliance.Orchestrator.Runtime;

/// <summary>Builds an OCI runtime config.json (spec 1.0) for a validated <see cref="ContainerSpec"/>.</summary>
internal static class OciConfig
{
    public const string HostsFileName = "hosts";
    public const string ResolvConfFileName = "resolv.conf";
    public const string HostnameFileName = "hostname";

    private static readonly string[] MaskedPaths =
    [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
    ];

    private static readonly string[] ReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    public static JsonObject Build(ContainerSpec spec, string bundle, (uint Uid, uint Gid) user, IReadOnlyList<string> capabilities,
        IReadOnlyList<ContainerMount> mounts)
    {
        var caps = new JsonArray(capabilities.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray());
        var process = new JsonObject
        {
            ["terminal"] = false,
            ["user"] = new JsonObject { ["uid"] = user.Uid, ["gid"] = user.Gid },
            ["args"] = Strings(spec.Process.Args),
            ["env"] = Strings(spec.Process.Env),
            ["cwd"] = spec.Process.WorkingDir,
            ["capabilities"] = new JsonObject
            {
                ["bounding"] = caps.DeepClone(),
                ["effective"] = caps.DeepClone(),
                ["permitted"] = caps.DeepClone(),
            },
            ["noNewPrivileges"] = true,
        };

        // The JsonArray(params JsonNode[]) constructor and Add(JsonNode), not a collection initializer: that binds to the
        // generic Add<T>, which converts T by reflection (not trimmable; the AOT analyzers flag it).
        var mountList = new JsonArray(
            Mount("/proc", "proc", "proc"),
            Mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
            Mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
            Mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
            Mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
            Mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
            Mount("/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro"),
            Mount("/etc/hosts", "bind", Path.Combine(bundle, HostsFileName), "rbind", "ro"),
            Mount("/etc/resolv.conf", "bind", Path.Combine(bundle, ResolvConfFileName), "rbind", "ro"),
            Mount("/etc/hostname", "bind", Path.Combine(bundle, HostnameFileName), "rbind", "ro"));
        foreach (ContainerMount m in mounts)
        {
            mountList.Add(m.Kind == MountKind.Tmpfs
                ? Mount(m.Target, "tmpfs", "tmpfs", "nosuid", "nodev", "mode=1777", m.ReadOnly ? "ro" : "rw")
                : Mount(m.Target, "bind", m.Source, "rbind", "rprivate", m.ReadOnly ? "ro" : "rw"));
        }

        var namespaces = new JsonArray(
            new JsonObject { ["type"] = "pid" },
            new JsonObject { ["type"] = "ipc" },
            new JsonObject { ["type"] = "uts" },
            new JsonObject { ["type"] = "mount" },
            spec.NetworkNamespacePath is null
                ? new JsonObject { ["type"] = "network" }
                : new JsonObject { ["type"] = "network", ["path"] = spec.NetworkNamespacePath });

        var resources = new JsonObject
        {
            ["devices"] = new JsonArray(new JsonObject { ["allow"] = false, ["access"] = "rwm" }),
        };
        if (spec.Limits.MemoryBytes is long memory)
        {
            resources["memory"] = new JsonObject { ["limit"] = memory };
        }
        if (spec.Limits.Cpus is double cpus)
        {
            const long period = 100_000;
            resources["cpu"] = new JsonObject { ["quota"] = (long)Math.Round(cpus * period), ["period"] = period };
        }
        if (spec.Limits.Pids is long pids)
        {
            resources["pids"] = new JsonObject { ["limit"] = pids };
        }
        // The usual character devices runc creates get allowed again (as runc spec does).
        var devices = (JsonArray)resources["devices"]!;
        foreach ((int major, int minor) in new[] { (1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 1), (5, 2), (136, -1) })
        {
            var rule = new JsonObject { ["allow"] = true, ["type"] = "c", ["major"] = major, ["access"] = "rwm" };
            if (minor >= 0)
            {
                rule["minor"] = minor;
            }
            devices.Add((JsonNode)rule);
        }

        var annotations = new JsonObject();
        foreach ((string key, string value) in spec.Labels)
        {
            annotations[key] = value;
        }

        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = process,
            ["root"] = new JsonObject { ["path"] = spec.RootfsPath, ["readonly"] = false },
            ["hostname"] = spec.Hostname ?? spec.Id,
            ["mounts"] = mountList,
            ["annotations"] = annotations,
            ["linux"] = new JsonObject
            {
                ["resources"] = resources,
                ["namespaces"] = namespaces,
                ["maskedPaths"] = Strings(MaskedPaths),
                ["readonlyPaths"] = Strings(ReadonlyPaths),
            },
        };
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray());

    private static JsonNode Mount(string destination, string type, string source, params string[] options) => new JsonObject
    {
        ["destination"] = destination,
        ["type"] = type,
        ["source"] = source,
        ["options"] = Strings(options),
    };
}
