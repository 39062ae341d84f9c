using System.Net;
using System.Security.Cryptography;
using Appliance.Orchestrator.Stacks.Definition;
using Appliance.Orchestrator.Stacks.Resolved;

namespace Appliance.Orchestrator.Stacks.Parsing;

/// <summary>
/// Checks what only the whole stack can tell (unknown dependencies, cycles, undeclared volumes and
/// networks, host ports published twice, exposure rules for ports that are not published) and builds
/// the <see cref="ResolvedStack"/> the engine runs.
/// </summary>
internal sealed class StackResolver
{
    private readonly DiagnosticBag _d;
    private readonly string _baseDirectory;
    private readonly IReadOnlyDictionary<string, string> _variables;

    private StackResolver(DiagnosticBag diagnostics, string baseDirectory, IReadOnlyDictionary<string, string> variables)
    {
        _d = diagnostics;
        _baseDirectory = baseDirectory;
        _variables = variables;
    }

    /// <summary>Values of the catalog parameters: given variables first, then defaults, then generated secrets.</summary>
    public static List<ResolvedParameter> ParameterValues(IReadOnlyList<ParameterDefinition> parameters, IReadOnlyDictionary<string, string> given)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        var result = new List<ResolvedParameter>(parameters.Count);
        foreach (ParameterDefinition p in parameters)
        {
            if (given.TryGetValue(p.Name, out string? value))
            {
                result.Add(new ResolvedParameter(p.Name, p.Type, value, false, p.Description));
            }
            else if (p.Default is not null)
            {
                result.Add(new ResolvedParameter(p.Name, p.Type, p.Default, false, p.Description));
            }
            else if (p.Generate)
            {
                result.Add(new ResolvedParameter(p.Name, p.Type, RandomNumberGenerator.GetString(alphabet, p.Length), true, p.Description));
            }
        }
        return result;
    }

    public static ResolvedStack? Resolve(StackDefinition stack, DiagnosticBag diagnostics, string baseDirectory, IReadOnlyDictionary<string, string> variables, IReadOnlyList<ResolvedParameter> parameters)
    {
        var resolver = new StackResolver(diagnostics, baseDirectory, variables);
        return resolver.Run(stack, parameters);
    }

    private ResolvedStack? Run(StackDefinition stack, IReadOnlyList<ResolvedParameter> parameters)
    {
        var byName = new Dictionary<string, ServiceDefinition>(StringComparer.Ordinal);
        foreach (ServiceDefinition service in stack.Services)
        {
            byName[service.Name] = service;
        }
        var volumes = stack.Volumes.ToDictionary(v => v.Name, StringComparer.Ordinal);
        var networks = stack.Networks.ToDictionary(n => n.Name, StringComparer.Ordinal);
        string stackName = stack.Name ?? NameFromFile(stack.File);

        var usedNetworks = new SortedSet<string>(StringComparer.Ordinal);
        var published = new List<(PublishedPort Port, PortDefinition Source, string Service)>();
        var resolved = new Dictionary<string, ResolvedService>(StringComparer.Ordinal);
        foreach (ServiceDefinition service in stack.Services)
        {
            resolved[service.Name] = Service(service, byName, volumes, networks, usedNetworks, published, stackName);
        }

        CheckDuplicatePorts(published);
        if (usedNetworks.Count > 1)
        {
            NetworkDefinition? first = stack.Networks.FirstOrDefault(n => usedNetworks.Contains(n.Name));
            _d.Warning(first?.Location ?? new SourceLocation(1, 1), "networks", $"the services use {usedNetworks.Count} networks ({string.Join(", ", usedNetworks)}); Appliance puts a whole stack on one bridge, so services Compose would isolate from each other can reach each other");
        }
        string network = usedNetworks.Count == 1 ? usedNetworks.Min! : "default";
        if (networks.TryGetValue(network, out NetworkDefinition? chosen) && chosen.BridgeName is not null && usedNetworks.Count == 1)
        {
            network = chosen.BridgeName;
        }

        List<string> order = DependencyOrder(stack.Services, byName);
        var schedules = new List<ResolvedSchedule>();
        foreach (ScheduleDefinition schedule in stack.Appliance?.Schedules ?? [])
        {
            if (schedule.Service is not null && !byName.ContainsKey(schedule.Service))
            {
                _d.Error(schedule.Location, Join(schedule.Path, "service"), $"schedule '{schedule.Name}' names service '{schedule.Service}', which is not in this stack; services: {string.Join(", ", byName.Keys)}");
                continue;
            }
            schedules.Add(new ResolvedSchedule(schedule.Name, schedule.Cron, schedule.Action, schedule.Service, schedule.Command));
        }

        if (_d.HasErrors)
        {
            return null;
        }
        return new ResolvedStack
        {
            Name = stackName,
            File = stack.File,
            Services = [.. order.Select(name => resolved[name])],
            Volumes = [.. stack.Volumes.Select(v => new ResolvedVolume(v.Name, v.StorageName ?? $"{stackName}_{v.Name}", v.Labels))],
            Network = network,
            Parameters = parameters,
            Schedules = schedules,
            Catalog = stack.Appliance?.Catalog,
            Definition = stack,
        };
    }

    private static string Join(string path, string key) => StackParser.Join(path, key);

    internal static string NameFromFile(string file)
    {
        string? dir = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(file)));
        string raw = (string.IsNullOrEmpty(dir) ? "stack" : dir).ToLowerInvariant();
        string name = new([.. raw.Where(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_')]);
        return name.Length == 0 || !char.IsAsciiLetterOrDigit(name[0]) ? "stack" : name;
    }

    private ResolvedService Service(
        ServiceDefinition service,
        Dictionary<string, ServiceDefinition> byName,
        Dictionary<string, VolumeDefinition> volumes,
        Dictionary<string, NetworkDefinition> networks,
        SortedSet<string> usedNetworks,
        List<(PublishedPort, PortDefinition, string)> published,
        string stackName)
    {
        string path = Join("services", service.Name);

        // Environment: env_file entries in order, then environment; a later value wins, first position kept.
        var environment = new List<KeyValuePair<string, string>>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        void Set(string name, string value)
        {
            if (index.TryGetValue(name, out int at))
            {
                environment[at] = new(name, value);
            }
            else
            {
                index[name] = environment.Count;
                environment.Add(new(name, value));
            }
        }
        foreach (EnvFileReference file in service.EnvFiles)
        {
            foreach (KeyValuePair<string, string> pair in ReadEnvFile(file))
            {
                Set(pair.Key, pair.Value);
            }
        }
        foreach (EnvironmentEntry entry in service.Environment)
        {
            string? value = entry.Value;
            if (value is null && !_variables.TryGetValue(entry.Name, out value))
            {
                continue; // Compose: `- NAME` with NAME unset leaves it unset.
            }
            Set(entry.Name, value);
        }

        // Ports and their exposure.
        var ports = new List<PublishedPort>();
        ServiceExtension? extension = service.Appliance;
        var usedRules = new HashSet<PortExposureDefinition>(ReferenceEqualityComparer.Instance);
        foreach (PortDefinition port in service.Ports)
        {
            bool loopback = port.HostIp is not null && IPAddress.TryParse(port.HostIp, out IPAddress? ip) && IPAddress.IsLoopback(ip);
            for (int i = 0; i < port.Count; i++)
            {
                int hostPort = port.HostPortStart + i;
                PortExposureDefinition? rule = extension?.Ports.FirstOrDefault(r =>
                    hostPort >= r.PortStart && hostPort <= r.PortEnd && (r.Protocol is null || r.Protocol == port.Protocol));
                Exposure exposure;
                IReadOnlyList<string> sources;
                if (rule is not null)
                {
                    usedRules.Add(rule);
                    exposure = rule.Exposure;
                    sources = rule.Sources.Count > 0 ? rule.Sources : extension!.Sources;
                }
                else
                {
                    exposure = extension?.Exposure ?? (loopback ? Exposure.HostOnly : Exposure.Lan);
                    sources = extension?.Sources ?? [];
                }
                if (loopback && exposure != Exposure.HostOnly && i == 0)
                {
                    _d.Error(port.Location, port.Path, $"host port {hostPort} is published on loopback {port.HostIp}, which only the host itself can reach, but its exposure is '{StackNames.Of(exposure)}'; remove the address to publish on every host address, or use exposure host-only");
                }
                if (exposure == Exposure.HostOnly && sources.Count > 0 && i == 0)
                {
                    _d.Error(port.Location, port.Path, "exposure host-only takes no sources (only the host itself connects); remove sources or use exposure lan");
                }
                ports.Add(new PublishedPort(port.HostIp, hostPort, port.ContainerPortStart + i, port.Protocol, exposure, sources));
                published.Add((ports[^1], port, service.Name));
            }
        }
        foreach (PortExposureDefinition rule in extension?.Ports ?? [])
        {
            if (!usedRules.Contains(rule))
            {
                string range = rule.PortStart == rule.PortEnd ? $"{rule.PortStart}" : $"{rule.PortStart}-{rule.PortEnd}";
                string publishedList = service.Ports.Count == 0 ? "none" : string.Join(", ", service.Ports.Select(p => p.HostPortStart == p.HostPortEnd ? $"{p.HostPortStart}" : $"{p.HostPortStart}-{p.HostPortEnd}"));
                _d.Error(rule.Location, rule.Path, $"host port {range} is not published by service '{service.Name}' (published: {publishedList}); exposure rules name a published host port");
            }
        }

        // Mounts.
        var mounts = new List<ResolvedMount>();
        foreach (MountDefinition mount in service.Volumes)
        {
            switch (mount.Type)
            {
                case MountType.Volume:
                    if (!volumes.TryGetValue(mount.Source!, out VolumeDefinition? volume))
                    {
                        string declared = volumes.Count == 0 ? "none are declared" : $"declared: {string.Join(", ", volumes.Keys)}";
                        _d.Error(mount.Location, mount.Path, $"volume '{mount.Source}' is not declared ({declared}); add it under the top-level volumes: (volumes: {{{mount.Source}: {{}}}})");
                        continue;
                    }
                    mounts.Add(new ResolvedMount(MountType.Volume, volume.StorageName ?? $"{stackName}_{volume.Name}", mount.Target, mount.ReadOnly));
                    break;
                case MountType.Bind:
                    if (mount.Source!.StartsWith('~'))
                    {
                        _d.Error(mount.Location, mount.Path, $"'{mount.Source}': '~' is not expanded (the daemon has no home folder of yours); write the absolute path, e.g. /home/you/...");
                        continue;
                    }
                    mounts.Add(new ResolvedMount(MountType.Bind, Path.GetFullPath(mount.Source, _baseDirectory), mount.Target, mount.ReadOnly));
                    break;
                default:
                    mounts.Add(new ResolvedMount(MountType.Tmpfs, null, mount.Target, mount.ReadOnly, mount.TmpfsSize));
                    break;
            }
        }

        // Dependencies.
        var dependencies = new List<ResolvedDependency>();
        foreach (DependencyDefinition dependency in service.DependsOn)
        {
            if (dependency.Service == service.Name)
            {
                _d.Error(dependency.Location, dependency.Path, $"service '{service.Name}' depends on itself; remove this entry");
                continue;
            }
            if (!byName.TryGetValue(dependency.Service, out ServiceDefinition? target))
            {
                if (dependency.Required)
                {
                    string? suggestion = ValueParsers.Suggest(dependency.Service, byName.Keys);
                    string hint = suggestion is not null ? $"did you mean '{suggestion}'?" : $"services in this stack: {string.Join(", ", byName.Keys)}";
                    _d.Error(dependency.Location, dependency.Path, $"'{dependency.Service}' is not a service of this stack; {hint}");
                }
                continue;
            }
            if (dependency.Condition == DependencyCondition.ServiceHealthy && (target.Healthcheck is null || target.Healthcheck.Kind is HealthcheckKind.Image or HealthcheckKind.Disabled))
            {
                string what = target.Healthcheck?.Kind == HealthcheckKind.Disabled
                    ? $"'{target.Name}' has its health check disabled, so it never becomes healthy and '{service.Name}' never starts; give '{target.Name}' a healthcheck test or use condition: service_started"
                    : $"'{target.Name}' has no healthcheck test in this file; '{service.Name}' waits for the image's own HEALTHCHECK, and never starts if the image has none. Add a healthcheck to '{target.Name}'";
                if (target.Healthcheck?.Kind == HealthcheckKind.Disabled)
                {
                    _d.Error(dependency.Location, dependency.Path, what);
                }
                else
                {
                    _d.Warning(dependency.Location, dependency.Path, what);
                }
            }
            dependencies.Add(new ResolvedDependency(dependency.Service, dependency.Condition, dependency.Restart, dependency.Required));
        }

        // Networks and aliases.
        var aliases = new List<string> { service.Name };
        if (service.Networks.Count == 0)
        {
            usedNetworks.Add("default");
        }
        foreach (ServiceNetworkDefinition network in service.Networks)
        {
            if (network.Name != "default" && !networks.ContainsKey(network.Name))
            {
                string declared = networks.Count == 0 ? "none are declared" : $"declared: {string.Join(", ", networks.Keys)}";
                _d.Error(network.Location, network.Path, $"network '{network.Name}' is not declared ({declared}); add it under the top-level networks:, or remove it (every service of a stack shares one bridge)");
                continue;
            }
            usedNetworks.Add(network.Name);
            foreach (string alias in network.Aliases)
            {
                if (!aliases.Contains(alias))
                {
                    aliases.Add(alias);
                }
            }
        }

        // Health check with Compose defaults.
        ResolvedHealthcheck? healthcheck = null;
        if (service.Healthcheck is { } check)
        {
            IReadOnlyList<string> test = check.Kind switch
            {
                HealthcheckKind.Exec => check.Test,
                HealthcheckKind.Shell => ["/bin/sh", "-c", check.Test[0]],
                _ => [],
            };
            healthcheck = new ResolvedHealthcheck(
                check.Kind,
                test,
                check.Interval ?? ResolvedHealthcheck.DefaultInterval,
                check.Timeout ?? ResolvedHealthcheck.DefaultTimeout,
                check.Retries ?? ResolvedHealthcheck.DefaultRetries,
                check.StartPeriod ?? TimeSpan.Zero,
                check.StartInterval ?? ResolvedHealthcheck.DefaultStartInterval);
        }

        AutohealDefinition? autoheal = extension?.Autoheal;
        bool hasTest = healthcheck is { Kind: HealthcheckKind.Exec or HealthcheckKind.Shell or HealthcheckKind.Image };
        if (autoheal?.Enabled == true && !hasTest)
        {
            _d.Warning(autoheal.Location, Join(path, "x-appliance.autoheal"), $"autoheal needs a health check to know '{service.Name}' is unhealthy; add a healthcheck, or it only acts if the image has its own");
        }

        return new ResolvedService
        {
            Name = service.Name,
            Image = service.Image ?? "",
            Entrypoint = service.Entrypoint,
            Command = service.Command,
            Environment = environment,
            Ports = ports,
            Mounts = mounts,
            DependsOn = dependencies,
            Healthcheck = healthcheck,
            Restart = service.Restart ?? RestartPolicy.No,
            User = service.User,
            WorkingDir = service.WorkingDir,
            Hostname = service.Hostname ?? service.Name,
            Aliases = aliases,
            CapAdd = service.CapAdd,
            CapDrop = service.CapDrop,
            GroupAdd = service.GroupAdd,
            Labels = service.Labels,
            ExtraHosts = service.ExtraHosts,
            Limits = service.MemoryLimit is null && service.Cpus is null && service.PidsLimit is null
                ? ResourceLimits.None
                : new ResourceLimits(service.MemoryLimit, service.Cpus, service.PidsLimit),
            ShmSizeBytes = service.ShmSize,
            ReadOnlyRootFilesystem = service.ReadOnly ?? false,
            StopSignal = service.StopSignal ?? "SIGTERM",
            StopGracePeriod = service.StopGracePeriod ?? TimeSpan.FromSeconds(10),
            LogMaxSizeBytes = service.LogMaxSize ?? ResolvedService.DefaultLogMaxSizeBytes,
            LogMaxFiles = (int)(service.LogMaxFiles ?? ResolvedService.DefaultLogMaxFiles),
            Autoheal = new AutohealPolicy(
                autoheal?.Enabled ?? hasTest && healthcheck!.Kind != HealthcheckKind.Image,
                autoheal?.MaxRestarts ?? AutohealPolicy.DefaultMaxRestarts,
                autoheal?.Window ?? AutohealPolicy.DefaultWindow,
                autoheal?.Backoff ?? AutohealPolicy.DefaultBackoff),
        };
    }

    private IEnumerable<KeyValuePair<string, string>> ReadEnvFile(EnvFileReference file)
    {
        string fullPath = Path.GetFullPath(file.Path, _baseDirectory);
        string[] lines;
        try
        {
            lines = File.ReadAllLines(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (file.Required)
            {
                string why = ex is FileNotFoundException or DirectoryNotFoundException ? "it does not exist" : ex.Message;
                _d.Error(file.Location, file.KeyPath, $"env_file '{file.Path}' cannot be read ({fullPath}: {why}); create it next to the stack file, or write {{path: {file.Path}, required: false}}");
            }
            yield break;
        }
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line[7..].TrimStart();
            }
            int eq = line.IndexOf('=');
            string name = eq < 0 ? line : line[..eq].Trim();
            if (!StackParser.IsValidEnvName(name))
            {
                _d.Add(fullPath, new SourceLocation(i + 1, 1), StackDiagnosticSeverity.Warning, file.KeyPath, $"line is not NAME=VALUE and is skipped: '{(line.Length > 40 ? line[..40] + "..." : line)}'");
                continue;
            }
            if (eq < 0)
            {
                if (_variables.TryGetValue(name, out string? fromVariables))
                {
                    yield return new(name, fromVariables);
                }
                continue;
            }
            yield return new(name, Unquote(line[(eq + 1)..].Trim()));
        }
    }

    internal static string Unquote(string value)
    {
        if (value.Length >= 2 && (value[0] == '"' && value[^1] == '"' || value[0] == '\'' && value[^1] == '\''))
        {
            return value[1..^1];
        }
        int comment = value.IndexOf(" #", StringComparison.Ordinal);
        return comment >= 0 ? value[..comment].TrimEnd() : value;
    }

    private void CheckDuplicatePorts(List<(PublishedPort Port, PortDefinition Source, string Service)> published)
    {
        var seen = new Dictionary<(int, PortProtocol), List<(PublishedPort Port, PortDefinition Source, string Service)>>();
        var reported = new HashSet<PortDefinition>(ReferenceEqualityComparer.Instance);
        foreach ((PublishedPort port, PortDefinition source, string service) in published)
        {
            var key = (port.HostPort, port.Protocol);
            if (!seen.TryGetValue(key, out var earlier))
            {
                seen[key] = [(port, source, service)];
                continue;
            }
            foreach ((PublishedPort other, PortDefinition otherSource, string otherService) in earlier)
            {
                bool overlap = port.HostIp is null || other.HostIp is null || IPAddress.Parse(port.HostIp).Equals(IPAddress.Parse(other.HostIp));
                if (overlap && !ReferenceEquals(source, otherSource) && reported.Add(source))
                {
                    _d.Error(source.Location, source.Path, $"host port {port.HostPort}/{StackNames.Of(port.Protocol)} is already published by {otherSource.Path} (line {otherSource.Location.Line}, service '{otherService}'); a host port can be published once, pick another host port, e.g. \"{port.HostPort + 1}:{port.ContainerPort}\"");
                }
            }
            earlier.Add((port, source, service));
        }
    }

    /// <summary>
    /// Services ordered so each comes after its dependencies (file order otherwise); reports every cycle.
    /// Iterative depth-first search: a chain of thousands of services cannot overflow the stack.
    /// </summary>
    private List<string> DependencyOrder(IReadOnlyList<ServiceDefinition> services, Dictionary<string, ServiceDefinition> byName)
    {
        var order = new List<string>(services.Count);
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // absent: new, 1: on the path, 2: done
        var path = new List<string>();
        var next = new List<int>(); // per path entry: index of the next depends_on entry to look at
        var reportedCycles = new HashSet<string>(StringComparer.Ordinal);

        foreach (ServiceDefinition root in services)
        {
            if (state.ContainsKey(root.Name))
            {
                continue;
            }
            state[root.Name] = 1;
            path.Add(root.Name);
            next.Add(0);
            while (path.Count > 0)
            {
                string name = path[^1];
                IReadOnlyList<DependencyDefinition> dependsOn = byName[name].DependsOn;
                int i = next[^1];
                if (i >= dependsOn.Count)
                {
                    state[name] = 2;
                    order.Add(name);
                    path.RemoveAt(path.Count - 1);
                    next.RemoveAt(next.Count - 1);
                    continue;
                }
                next[^1] = i + 1;
                DependencyDefinition dependency = dependsOn[i];
                if (!byName.ContainsKey(dependency.Service) || dependency.Service == name)
                {
                    continue;
                }
                state.TryGetValue(dependency.Service, out int s);
                if (s == 0)
                {
                    state[dependency.Service] = 1;
                    path.Add(dependency.Service);
                    next.Add(0);
                }
                else if (s == 1)
                {
                    int start = path.IndexOf(dependency.Service);
                    List<string> cycle = path.GetRange(start, path.Count - start);
                    if (reportedCycles.Add(string.Join(" ", cycle.Order(StringComparer.Ordinal))))
                    {
                        string text = string.Join(" -> ", cycle.Append(dependency.Service));
                        _d.Error(dependency.Location, dependency.Path, $"dependency cycle: {text}; no service in it could ever start. Remove one of these depends_on entries");
                    }
                }
            }
        }
        return order;
    }
}
