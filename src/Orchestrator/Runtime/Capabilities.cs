namespace Appliance.Orchestrator.Runtime;

/// <summary>Linux capabilities of a container: Docker's default set, plus cap_add, minus cap_drop.</summary>
public static class Capabilities
{
    /// <summary>The set Docker and Podman give a container by default.</summary>
    public static IReadOnlyList<string> Default { get; } =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    /// <summary>Every capability name the kernel knows (5.x/6.x).</summary>
    public static IReadOnlySet<string> Known { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
        "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    };

    /// <summary>"net_admin", "NET_ADMIN" and "CAP_NET_ADMIN" all mean CAP_NET_ADMIN; "ALL" means every known one.</summary>
    public static string Normalize(string name)
    {
        string upper = name.Trim().ToUpperInvariant();
        return upper.StartsWith("CAP_", StringComparison.Ordinal) ? upper : "CAP_" + upper;
    }

    /// <summary>The effective set; unknown names go to <paramref name="problems"/>.</summary>
    public static IReadOnlyList<string> Resolve(IReadOnlyList<string> add, IReadOnlyList<string> drop, List<string> problems)
    {
        var set = new SortedSet<string>(Default, StringComparer.Ordinal);
        foreach (string raw in drop)
        {
            if (raw.Trim().Equals("ALL", StringComparison.OrdinalIgnoreCase))
            {
                set.Clear();
                continue;
            }
            string cap = Normalize(raw);
            if (!Known.Contains(cap))
            {
                problems.Add($"cap_drop: '{raw}' is not a Linux capability; expected a name such as NET_ADMIN");
            }
            set.Remove(cap);
        }
        foreach (string raw in add)
        {
            if (raw.Trim().Equals("ALL", StringComparison.OrdinalIgnoreCase))
            {
                set.UnionWith(Known);
                continue;
            }
            string cap = Normalize(raw);
            if (!Known.Contains(cap))
            {
                problems.Add($"cap_add: '{raw}' is not a Linux capability; expected a name such as NET_ADMIN");
                continue;
            }
            set.Add(cap);
        }
        return set.ToList();
    }
}
