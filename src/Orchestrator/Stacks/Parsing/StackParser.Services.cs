using Appliance.Orchestrator.Stacks.Definition;
using Appliance.Orchestrator.Stacks.Yaml;

namespace Appliance.Orchestrator.Stacks.Parsing;

internal sealed partial class StackParser
{
    private static readonly string[] ServiceKeys =
    [
        "image", "command", "entrypoint", "environment", "env_file", "ports", "volumes", "tmpfs", "depends_on",
        "healthcheck", "restart", "user", "working_dir", "hostname", "cap_add", "cap_drop", "group_add", "labels",
        "extra_hosts", "networks", "mem_limit", "cpus", "pids_limit", "shm_size", "read_only", "stop_signal",
        "stop_grace_period", "deploy", "privileged", "logging", "x-appliance",
    ];

    private static readonly Dictionary<string, (bool IsError, string Why)> UnsupportedServiceKeys = new(StringComparer.Ordinal)
    {
        // Ignoring these changes nothing that runs: warnings.
        ["container_name"] = (false, "Appliance names containers itself; other services reach this one by its service name"),
        ["links"] = (false, "every service of a stack reaches every other by its service name; links are not needed (use networks.<name>.aliases for another name)"),
        ["expose"] = (false, "services of a stack reach each other on every port; expose changes nothing"),
        ["tty"] = (false, "no terminal is attached to containers"),
        ["stdin_open"] = (false, "no terminal is attached to containers"),
        ["init"] = (false, "no init process is injected; the image's entrypoint runs as PID 1"),
        ["pull_policy"] = (false, "Appliance pulls missing images at install; updates are checked by schedule"),
        ["platform"] = (false, "Appliance pulls the image for the host's architecture"),
        ["domainname"] = (false, "not applied"),
        ["mem_reservation"] = (false, "only limits are applied (mem_limit)"),
        ["memswap_limit"] = (false, "swap limits are not applied"),
        ["mem_swappiness"] = (false, "not applied"),
        ["oom_score_adj"] = (false, "not applied"),
        ["cpu_shares"] = (false, "use cpus (a limit) instead"),
        ["cpu_quota"] = (false, "use cpus instead"),
        ["cpu_period"] = (false, "use cpus instead"),
        ["cpuset"] = (false, "not applied"),
        ["blkio_config"] = (false, "not applied"),
        ["annotations"] = (false, "not applied"),
        ["develop"] = (false, "development-only (docker compose watch)"),
        ["attach"] = (false, "logs are always collected"),
        ["stop_signal_timeout"] = (false, "use stop_grace_period"),
        // Ignoring these would change what runs: errors.
        ["build"] = (true, "Appliance runs images from a registry and does not build them; remove build and give image: (build it with docker build and push it)"),
        ["network_mode"] = (true, "each stack runs on its own bridge; host or shared network namespaces would bypass the stack's firewall rules. Remove it and publish the ports the service needs under ports:"),
        ["devices"] = (true, "device access is not supported yet; remove it (hardware transcoding and similar need it)"),
        ["pid"] = (true, "sharing the host's (or another container's) PID namespace is not supported; remove it"),
        ["ipc"] = (true, "sharing IPC namespaces is not supported; remove it"),
        ["uts"] = (true, "sharing the host's UTS namespace is not supported; remove it"),
        ["userns_mode"] = (true, "user namespace modes are not supported; remove it"),
        ["cgroup"] = (true, "cgroup namespace modes are not supported; remove it"),
        ["cgroup_parent"] = (true, "Appliance places containers in its own cgroup; remove it"),
        ["security_opt"] = (true, "security options (seccomp, apparmor, no-new-privileges) are not supported yet; remove it"),
        ["sysctls"] = (true, "namespaced sysctls are not supported yet; remove it"),
        ["ulimits"] = (true, "ulimits are not supported yet (pids_limit is); remove it"),
        ["extends"] = (true, "extends is not supported; copy the keys into this service (YAML anchors and '<<' merge keys work)"),
        ["secrets"] = (true, "Compose secrets are not supported; pass the value as an install parameter (x-appliance.parameters) through environment"),
        ["configs"] = (true, "Compose configs are not supported; bind-mount the file (volumes: ['./file:/path:ro'])"),
        ["volumes_from"] = (true, "volumes_from is not supported; mount the same named volume in both services"),
        ["external_links"] = (true, "services cannot reach containers outside their stack"),
        ["dns"] = (true, "containers use the host's resolvers and the stack's service names; remove it"),
        ["dns_search"] = (true, "not supported; remove it"),
        ["dns_opt"] = (true, "not supported; remove it"),
        ["profiles"] = (true, "profiles are not supported: Appliance runs every service of the stack; remove the service or the key"),
        ["scale"] = (true, "one container per service; remove scale"),
        ["runtime"] = (true, "Appliance runs containers on runc; remove it"),
        ["isolation"] = (true, "not supported on Linux; remove it"),
        ["storage_opt"] = (true, "not supported; remove it"),
        ["device_cgroup_rules"] = (true, "device access is not supported yet; remove it"),
        ["gpus"] = (true, "GPU access is not supported yet; remove it"),
        ["mac_address"] = (true, "addresses are assigned by Appliance; remove it"),
        ["credential_spec"] = (true, "Windows-only; remove it"),
        ["post_start"] = (true, "lifecycle hooks are not supported; remove it"),
        ["pre_stop"] = (true, "lifecycle hooks are not supported; remove it"),
        ["oom_kill_disable"] = (true, "not supported; remove it"),
        ["use_api_socket"] = (true, "containers get no access to a container engine socket"),
    };

    private List<ServiceDefinition> Services(YNode node)
    {
        var services = new List<ServiceDefinition>();
        YMapping? map = Mapping(node, "services", "a mapping of service names to services, e.g. services: {web: {image: nginx}}");
        if (map is null)
        {
            return services;
        }
        if (map.Entries.Count == 0)
        {
            _d.Error(node.Start, "services", "no services; add at least one, e.g. web: {image: nginx}");
        }
        foreach ((YScalar key, YNode value) in map.Entries)
        {
            string path = Join("services", key.Value);
            if (!IsValidServiceName(key.Value))
            {
                _d.Error(key.Start, path, $"'{Short(key.Value)}' is not a valid service name; use letters, digits, '-', '_' and '.', starting with a letter or digit (it becomes a host name)");
                continue;
            }
            ServiceDefinition? service = Service(key, value, path);
            if (service is not null)
            {
                services.Add(service);
            }
        }
        return services;
    }

    private static bool IsValidServiceName(string name)
    {
        if (name.Length is 0 or > 63 || !char.IsAsciiLetterOrDigit(name[0]))
        {
            return false;
        }
        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }
        return true;
    }

    private ServiceDefinition? Service(YScalar name, YNode node, string path)
    {
        YMapping? map = Mapping(node, path, "a service mapping with at least 'image:'");
        if (map is null)
        {
            return null;
        }
        var service = new ServiceDefinition { Name = name.Value, Location = name.Start };
        bool hasImage = false;
        YScalar? buildKey = null;
        foreach ((YScalar key, YNode value) in map.Entries)
        {
            string p = Join(path, key.Value);
            switch (key.Value)
            {
                case "image":
                    hasImage = true;
                    string? image = Text(value, p, "an image reference like 'postgres:16' or 'registry.example.com/app:1.2'");
                    if (image is not null && (image.Length == 0 || image.Any(char.IsWhiteSpace)))
                    {
                        _d.Error(value.Start, p, $"'{Short(image)}' is not an image reference; expected e.g. 'postgres:16' or 'ghcr.io/owner/app:tag'");
                    }
                    service = service with { Image = image };
                    break;
                case "command":
                    service = service with { Command = Words(value, p) };
                    break;
                case "entrypoint":
                    service = service with { Entrypoint = Words(value, p) };
                    break;
                case "environment":
                    service = service with { Environment = Environment(value, p) };
                    break;
                case "env_file":
                    service = service with { EnvFiles = EnvFiles(value, p) };
                    break;
                case "ports":
                    service = service with { Ports = Ports(value, p) };
                    break;
                case "volumes":
                    service = service with { Volumes = [.. service.Volumes, .. Mounts(value, p)] };
                    break;
                case "tmpfs":
                    service = service with { Volumes = [.. service.Volumes, .. Tmpfs(value, p)] };
                    break;
                case "depends_on":
                    service = service with { DependsOn = DependsOn(value, p) };
                    break;
                case "healthcheck":
                    service = service with { Healthcheck = Healthcheck(value, p) };
                    break;
                case "restart":
                    service = service with { Restart = Restart(value, p) };
                    break;
                case "user":
                    service = service with { User = Text(value, p, "a user like '1000', '1000:1000' or 'git'") };
                    break;
                case "working_dir":
                    string? dir = Text(value, p, "an absolute path inside the container");
                    if (dir is not null && !dir.StartsWith('/'))
                    {
                        _d.Error(value.Start, p, $"'{Short(dir)}' is not an absolute path; working_dir must start with '/'");
                    }
                    service = service with { WorkingDir = dir };
                    break;
                case "hostname":
                    service = service with { Hostname = Text(value, p, "a host name") };
                    break;
                case "cap_add":
                    service = service with { CapAdd = Capabilities(value, p, adding: true) };
                    break;
                case "cap_drop":
                    service = service with { CapDrop = Capabilities(value, p, adding: false) };
                    break;
                case "group_add":
                    service = service with { GroupAdd = [.. TextList(value, p, "group names or ids").Select(x => x.Value)] };
                    break;
                case "labels":
                    service = service with { Labels = Pairs(value, p, "label") };
                    break;
                case "extra_hosts":
                    service = service with { ExtraHosts = ExtraHosts(value, p) };
                    break;
                case "networks":
                    service = service with { Networks = ServiceNetworks(value, p) };
                    break;
                case "mem_limit":
                    service = service with { MemoryLimit = Bytes(value, p) };
                    break;
                case "cpus":
                    service = service with { Cpus = Cpus(value, p) };
                    break;
                case "pids_limit":
                    service = service with { PidsLimit = Integer(value, p, -1, int.MaxValue, "a process limit") };
                    break;
                case "shm_size":
                    service = service with { ShmSize = Bytes(value, p) };
                    break;
                case "read_only":
                    service = service with { ReadOnly = Bool(value, p) };
                    break;
                case "stop_signal":
                    string? signal = Text(value, p, "a signal name like SIGTERM");
                    if (signal is not null && !IsSignal(signal))
                    {
                        _d.Error(value.Start, p, $"'{Short(signal)}' is not a signal; expected a name like SIGTERM, SIGINT or SIGQUIT");
                    }
                    service = service with { StopSignal = signal };
                    break;
                case "stop_grace_period":
                    service = service with { StopGracePeriod = Duration(value, p) };
                    break;
                case "deploy":
                    service = Deploy(service, value, p);
                    break;
                case "logging":
                    service = Logging(service, value, p);
                    break;
                case "privileged":
                    if (Bool(value, p) == true)
                    {
                        _d.Error(key.Start, p, "'privileged: true' is not supported by Appliance: a privileged container has full access to the host and its firewall; remove it and add only the capabilities the service needs with cap_add");
                    }
                    break;
                case "x-appliance":
                    service = service with { Appliance = ServiceExtensionOf(value, p) };
                    break;
                case "build":
                    buildKey = key;
                    break;
                default:
                    Unknown(key, path, ServiceKeys, UnsupportedServiceKeys);
                    break;
            }
        }
        if (buildKey is not null)
        {
            if (hasImage)
            {
                _d.Warning(buildKey.Start, Join(path, "build"), "'build' is ignored: Appliance pulls 'image' from its registry and does not build it");
            }
            else
            {
                _d.Error(buildKey.Start, Join(path, "build"), $"'build' is not supported by Appliance: {UnsupportedServiceKeys["build"].Why}");
            }
        }
        else if (!hasImage)
        {
            _d.Error(name.Start, path, "the service has no 'image:'; add one, e.g. image: postgres:16");
        }
        return service;
    }

    private List<EnvironmentEntry> Environment(YNode node, string path)
    {
        var result = new List<EnvironmentEntry>();
        if (node is YMapping map)
        {
            foreach ((YScalar key, YNode value) in map.Entries)
            {
                string p = Join(path, key.Value);
                if (!IsValidEnvName(key.Value))
                {
                    _d.Error(key.Start, p, $"'{Short(key.Value)}' is not a valid variable name; it must not be empty or contain '=' or spaces");
                    continue;
                }
                string? text = value is YScalar { IsNull: true } ? null : Text(value, p, $"the value of {key.Value} (quote it if it is a number or a boolean)");
                result.Add(new EnvironmentEntry(key.Value, text, key.Start, p));
            }
            return result;
        }
        foreach ((string text, YNode item, string p) in TextList(node, path, "NAME=VALUE entries"))
        {
            int cut = text.IndexOf('=');
            string name = cut < 0 ? text : text[..cut];
            if (!IsValidEnvName(name))
            {
                _d.Error(item.Start, p, $"'{Short(text)}' is not an environment entry; expected NAME=VALUE (or NAME to take the value from the variables)");
                continue;
            }
            result.Add(new EnvironmentEntry(name, cut < 0 ? null : text[(cut + 1)..], item.Start, p));
        }
        return result;
    }

    internal static bool IsValidEnvName(string name) => name.Length > 0 && !name.Contains('=') && !name.Any(char.IsWhiteSpace);

    private List<EnvFileReference> EnvFiles(YNode node, string path)
    {
        var result = new List<EnvFileReference>();
        if (node is YSequence list)
        {
            for (int i = 0; i < list.Items.Count; i++)
            {
                YNode item = list.Items[i];
                string p = Index(path, i);
                if (item is YMapping map)
                {
                    string? file = null;
                    bool required = true;
                    foreach ((YScalar key, YNode value) in map.Entries)
                    {
                        switch (key.Value)
                        {
                            case "path":
                                file = Text(value, Join(p, "path"), "a file path");
                                break;
                            case "required":
                                required = Bool(value, Join(p, "required")) ?? true;
                                break;
                            case "format":
                                break;
                            default:
                                Unknown(key, p, ["path", "required", "format"]);
                                break;
                        }
                    }
                    if (file is null)
                    {
                        _d.Error(item.Start, p, "an env_file entry needs 'path:'");
                        continue;
                    }
                    result.Add(new EnvFileReference(file, required, item.Start, p));
                    continue;
                }
                string? text = Text(item, p, "a file path");
                if (text is not null)
                {
                    result.Add(new EnvFileReference(text, true, item.Start, p));
                }
            }
            return result;
        }
        string? single = Text(node, path, "a file path or a list of file paths");
        if (single is not null)
        {
            result.Add(new EnvFileReference(single, true, node.Start, path));
        }
        return result;
    }

    private static readonly HashSet<string> KnownCapabilities = new(StringComparer.Ordinal)
    {
        "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF", "CHECKPOINT_RESTORE", "CHOWN",
        "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE",
        "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST",
        "NET_RAW", "PERFMON", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYSLOG", "SYS_ADMIN", "SYS_BOOT",
        "SYS_CHROOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE",
        "SYS_TIME", "SYS_TTY_CONFIG", "WAKE_ALARM",
    };

    private List<string> Capabilities(YNode node, string path, bool adding)
    {
        var result = new List<string>();
        foreach ((string text, YNode item, string p) in TextList(node, path, "capability names like NET_ADMIN"))
        {
            string name = text.ToUpperInvariant();
            if (name.StartsWith("CAP_", StringComparison.Ordinal))
            {
                name = name[4..];
            }
            if (name == "ALL")
            {
                if (adding)
                {
                    _d.Error(item.Start, p, "cap_add: ALL gives the container every capability (almost privileged); list only the capabilities the service needs, e.g. NET_ADMIN");
                    continue;
                }
                result.Add(name);
                continue;
            }
            if (!KnownCapabilities.Contains(name))
            {
                string? suggestion = ValueParsers.Suggest(name, KnownCapabilities);
                _d.Error(item.Start, p, $"'{Short(text)}' is not a Linux capability{(suggestion is null ? "" : $"; did you mean '{suggestion}'?")}");
                continue;
            }
            result.Add(name);
        }
        return result;
    }

    private List<KeyValuePair<string, string>> ExtraHosts(YNode node, string path)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (KeyValuePair<string, string> pair in Pairs(node, path, "extra host", ':'))
        {
            string address = pair.Value.Trim('[', ']');
            if (address != "host-gateway" && !System.Net.IPAddress.TryParse(address, out _))
            {
                _d.Error(node.Start, path, $"'{Short(pair.Value)}' (for '{pair.Key}') is not an IP address; expected HOST:IP or HOST=IP, e.g. 'host.docker.internal:host-gateway'");
                continue;
            }
            result.Add(new(pair.Key, address));
        }
        return result;
    }

    private List<ServiceNetworkDefinition> ServiceNetworks(YNode node, string path)
    {
        var result = new List<ServiceNetworkDefinition>();
        if (node is YMapping map)
        {
            foreach ((YScalar key, YNode value) in map.Entries)
            {
                string p = Join(path, key.Value);
                var aliases = new List<string>();
                if (value is YMapping options)
                {
                    foreach ((YScalar optionKey, YNode optionValue) in options.Entries)
                    {
                        switch (optionKey.Value)
                        {
                            case "aliases":
                                aliases.AddRange(TextList(optionValue, Join(p, "aliases"), "host names").Select(x => x.Value));
                                break;
                            case "priority" or "gw_priority":
                                break;
                            case "ipv4_address" or "ipv6_address" or "link_local_ips" or "mac_address" or "driver_opts":
                                _d.Error(optionKey.Start, Join(p, optionKey.Value), $"'{optionKey.Value}' is not supported by Appliance: addresses on the stack bridge are assigned by Appliance; remove it");
                                break;
                            default:
                                Unknown(optionKey, p, ["aliases"]);
                                break;
                        }
                    }
                }
                else if (value is not YScalar { IsNull: true })
                {
                    TypeError(value, p, "a mapping like {aliases: [name]} or nothing");
                }
                result.Add(new ServiceNetworkDefinition(key.Value, aliases, key.Start, p));
            }
            return result;
        }
        foreach ((string text, YNode item, string p) in TextList(node, path, "network names"))
        {
            result.Add(new ServiceNetworkDefinition(text, [], item.Start, p));
        }
        return result;
    }

    private double? Cpus(YNode node, string path)
    {
        string? text = Text(node, path, "a number of CPUs like 0.5 or 2");
        if (text is null)
        {
            return null;
        }
        if (!double.TryParse(text, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out double cpus) || cpus <= 0 || cpus > 1024)
        {
            _d.Error(node.Start, path, $"'{Short(text)}' is not a CPU count; expected a number above 0 like 0.5 or 2");
            return null;
        }
        return cpus;
    }

    /// <summary>SIGxxx (upper-case letters, then digits as in SIGUSR1) or a number below 100.</summary>
    private static bool IsSignal(string text) =>
        text.StartsWith("SIG", StringComparison.Ordinal) && text.Length > 3 && char.IsAsciiLetterUpper(text[3])
            && text.Skip(3).SkipWhile(char.IsAsciiLetterUpper).All(char.IsAsciiDigit)
        || text.All(char.IsAsciiDigit) && text.Length is > 0 and < 3;

    private RestartPolicy? Restart(YNode node, string path)
    {
        string? text = Text(node, path, "a restart policy");
        if (text is null)
        {
            return null;
        }
        switch (text)
        {
            case "no" or "false":
                return RestartPolicy.No;
            case "always":
                return new RestartPolicy(RestartMode.Always);
            case "unless-stopped":
                return new RestartPolicy(RestartMode.UnlessStopped);
            case "on-failure":
                return new RestartPolicy(RestartMode.OnFailure);
        }
        if (text.StartsWith("on-failure:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(11), out int retries) && retries >= 0)
        {
            return new RestartPolicy(RestartMode.OnFailure, retries);
        }
        _d.Error(node.Start, path, $"'{Short(text)}' is not a restart policy; expected \"no\", always, on-failure, on-failure:N (N retries) or unless-stopped");
        return null;
    }

    /// <summary>Compose's logging: Appliance keeps each container's output in rotated files of its own, whatever the driver;
    /// options.max-size and options.max-file bound them as json-file's do.</summary>
    private ServiceDefinition Logging(ServiceDefinition service, YNode node, string path)
    {
        foreach ((YScalar key, YNode value, string p) in Entries(node, path, "a mapping with driver and options"))
        {
            switch (key.Value)
            {
                case "driver":
                    string? driver = Text(value, p, "a log driver name");
                    if (driver is not null and not ("json-file" or "local" or "k8s-file"))
                    {
                        _d.Warning(value.Start, p, $"the '{Short(driver)}' log driver is ignored: Appliance keeps each container's output in " +
                            "rotated files of its own (the stack page's logs, appliance stack logs); options.max-size and options.max-file apply");
                    }
                    break;
                case "options":
                    foreach ((YScalar okey, YNode ovalue, string op) in Entries(value, p, "a mapping with max-size and/or max-file"))
                    {
                        switch (okey.Value)
                        {
                            case "max-size":
                                long? size = Bytes(ovalue, op);
                                if (size is < Runtime.LogLimits.MinSizeBytes)
                                {
                                    _d.Error(ovalue.Start, op, $"a log file of {size} bytes is too small; use at least 16k, e.g. '10m'");
                                    size = null;
                                }
                                service = service with { LogMaxSize = size };
                                break;
                            case "max-file":
                                service = service with { LogMaxFiles = Integer(ovalue, op, 1, Runtime.LogLimits.MaxMaxFiles, "a number of log files") };
                                break;
                            default:
                                _d.Warning(okey.Start, op, $"'{Short(okey.Value)}' is ignored: only max-size and max-file apply to Appliance's log files");
                                break;
                        }
                    }
                    break;
                default:
                    Unknown(key, path, ["driver", "options"]);
                    break;
            }
        }
        return service;
    }

    private ServiceDefinition Deploy(ServiceDefinition service, YNode node, string path)
    {
        YMapping? map = Mapping(node, path, "a mapping with resources.limits");
        if (map is null)
        {
            return service;
        }
        foreach ((YScalar key, YNode value) in map.Entries)
        {
            string p = Join(path, key.Value);
            switch (key.Value)
            {
                case "resources":
                    YMapping? resources = Mapping(value, p, "a mapping with limits");
                    if (resources is null)
                    {
                        break;
                    }
                    foreach ((YScalar rkey, YNode rvalue) in resources.Entries)
                    {
                        string rp = Join(p, rkey.Value);
                        if (rkey.Value == "reservations")
                        {
                            _d.Warning(rkey.Start, rp, "'reservations' is ignored: only limits are applied");
                            continue;
                        }
                        if (rkey.Value != "limits")
                        {
                            Unknown(rkey, p, ["limits", "reservations"]);
                            continue;
                        }
                        YMapping? limits = Mapping(rvalue, rp, "a mapping with memory, cpus and/or pids");
                        if (limits is null)
                        {
                            continue;
                        }
                        foreach ((YScalar lkey, YNode lvalue) in limits.Entries)
                        {
                            string lp = Join(rp, lkey.Value);
                            switch (lkey.Value)
                            {
                                case "memory":
                                    service = service with { MemoryLimit = Bytes(lvalue, lp) };
                                    break;
                                case "cpus":
                                    service = service with { Cpus = Cpus(lvalue, lp) };
                                    break;
                                case "pids":
                                    service = service with { PidsLimit = Integer(lvalue, lp, -1, int.MaxValue, "a process limit") };
                                    break;
                                default:
                                    Unknown(lkey, rp, ["memory", "cpus", "pids"], new Dictionary<string, (bool, string)>
                                    {
                                        ["devices"] = (true, "device (GPU) reservations are not supported yet; remove it"),
                                    });
                                    break;
                            }
                        }
                    }
                    break;
                case "replicas":
                    long? replicas = Integer(value, p, 0, 1000, "a replica count");
                    if (replicas is > 1 or 0)
                    {
                        _d.Error(value.Start, p, $"replicas: {replicas} is not supported: Appliance runs exactly one container per service; remove it or write 1");
                    }
                    break;
                case "restart_policy":
                    _d.Warning(key.Start, p, "'deploy.restart_policy' is ignored (it is for Swarm); use 'restart:' on the service, e.g. restart: unless-stopped");
                    break;
                case "mode" or "labels" or "placement" or "update_config" or "rollback_config" or "endpoint_mode":
                    _d.Warning(key.Start, p, $"'deploy.{key.Value}' is ignored: it only applies to Swarm");
                    break;
                default:
                    Unknown(key, path, ["resources", "replicas"]);
                    break;
            }
        }
        return service;
    }
}
