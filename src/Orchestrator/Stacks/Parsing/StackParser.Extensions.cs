using System.Net;
using Appliance.Orchestrator.Stacks.Definition;
using Appliance.Orchestrator.Stacks.Yaml;

namespace Appliance.Orchestrator.Stacks.Parsing;

internal sealed partial class StackParser
{
    private const string ExposureNames = "host-only, lan or internet";

    private StackExtension? StackExtensionOf(YNode node, IReadOnlyList<ParameterDefinition> parameters)
    {
        const string path = "x-appliance";
        YMapping? map = Mapping(node, path, "a mapping with catalog metadata, parameters and schedules");
        if (map is null)
        {
            return null;
        }
        CatalogInfo? catalog = null;
        var schedules = new List<ScheduleDefinition>();
        foreach ((YScalar key, YNode value) in map.Entries)
        {
            string p = Join(path, key.Value);
            switch (key.Value)
            {
                case "catalog":
                    catalog = Catalog(value, p);
                    break;
                case "parameters":
                    break; // read before interpolation (ReadParameters)
                case "schedules":
                    schedules = Schedules(value, p);
                    break;
                default:
                    Unknown(key, path, ["catalog", "parameters", "schedules"]);
                    break;
            }
        }
        return new StackExtension { Catalog = catalog, Parameters = parameters, Schedules = schedules };
    }

    private CatalogInfo? Catalog(YNode node, string path)
    {
        YMapping? map = Mapping(node, path, "a mapping with title, description, version, category, icon, website");
        if (map is null)
        {
            return null;
        }
        var catalog = new CatalogInfo();
        foreach ((YScalar key, YNode value) in map.Entries)
        {
            string p = Join(path, key.Value);
            switch (key.Value)
            {
                case "title":
                    catalog = catalog with { Title = Text(value, p, "a title") };
                    break;
                case "description":
                    catalog = catalog with { Description = Text(value, p, "a description") };
                    break;
                case "version":
                    catalog = catalog with { Version = Text(value, p, "a version") };
                    break;
                case "category":
                    catalog = catalog with { Category = Text(value, p, "a category") };
                    break;
                case "icon":
                    catalog = catalog with { Icon = Text(value, p, "a file name like icon.svg") };
                    break;
                case "website":
                    catalog = catalog with { Website = Text(value, p, "a URL") };
                    break;
                default:
                    Unknown(key, path, ["title", "description", "version", "category", "icon", "website"]);
                    break;
            }
        }
        return catalog;
    }

    private List<ParameterDefinition> Parameters(YNode node, string path)
    {
        var result = new List<ParameterDefinition>();
        // A list of {name: X, ...}, or a mapping X: {...} (the key is the name).
        var items = new List<(YNode Node, string Path, YScalar? Name)>();
        if (node is YSequence list)
        {
            for (int i = 0; i < list.Items.Count; i++)
            {
                items.Add((list.Items[i], Index(path, i), null));
            }
        }
        else if (node is YMapping byName)
        {
            foreach ((YScalar key, YNode value) in byName.Entries)
            {
                items.Add((value, Join(path, key.Value), key));
            }
        }
        else
        {
            TypeError(node, path, "a list of parameters like - {name: DB_PASSWORD, generate: secret}");
            return result;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach ((YNode itemNode, string p, YScalar? nameKey) in items)
        {
            YMapping? map = itemNode is YScalar { IsNull: true } && nameKey is not null ? new YMapping(itemNode.Start) : Mapping(itemNode, p, "a parameter mapping with name:");
            if (map is null)
            {
                continue;
            }
            var parameter = new ParameterDefinition { Name = "", Location = map.Start };
            if (nameKey is not null)
            {
                if (IsVariableName(nameKey.Value))
                {
                    parameter = parameter with { Name = nameKey.Value, Location = nameKey.Start };
                }
                else
                {
                    _d.Error(nameKey.Start, p, "a parameter name is a variable name: letters, digits and '_', not starting with a digit, e.g. DB_PASSWORD");
                    continue;
                }
            }
            bool typeGiven = false;
            foreach ((YScalar key, YNode value) in map.Entries)
            {
                string kp = Join(p, key.Value);
                // Parameters are not interpolated: they are the variables.
                string? raw = value is YScalar { IsNull: false } s ? s.Value : null;
                switch (key.Value)
                {
                    case "name":
                        if (raw is null || !IsVariableName(raw))
                        {
                            _d.Error(value.Start, kp, "a parameter name is a variable name: letters, digits and '_', not starting with a digit, e.g. DB_PASSWORD");
                            break;
                        }
                        parameter = parameter with { Name = raw };
                        break;
                    case "description":
                        parameter = parameter with { Description = raw };
                        break;
                    case "default":
                        if (raw is null)
                        {
                            TypeError(value, kp, "a text value");
                        }
                        parameter = parameter with { Default = raw };
                        break;
                    case "type":
                        typeGiven = true;
                        switch (raw)
                        {
                            case "string":
                                parameter = parameter with { Type = ParameterType.String };
                                break;
                            case "port":
                                parameter = parameter with { Type = ParameterType.Port };
                                break;
                            case "secret":
                                parameter = parameter with { Type = ParameterType.Secret };
                                break;
                            default:
                                _d.Error(value.Start, kp, $"'{Short(raw ?? "")}' is not a parameter type; expected string, port or secret");
                                break;
                        }
                        break;
                    case "generate":
                        if (raw != "secret")
                        {
                            _d.Error(value.Start, kp, $"'{Short(raw ?? "")}' cannot be generated; the only generator is 'secret' (random letters and digits)");
                            break;
                        }
                        parameter = parameter with { Generate = true, Type = typeGiven ? parameter.Type : ParameterType.Secret };
                        break;
                    case "length":
                        if (raw is null || !int.TryParse(raw, out int length) || length is < 8 or > 256)
                        {
                            _d.Error(value.Start, kp, "a secret length is a whole number from 8 to 256, e.g. 64");
                            break;
                        }
                        parameter = parameter with { Length = length };
                        break;
                    default:
                        Unknown(key, p, ["name", "description", "default", "type", "generate", "length"]);
                        break;
                }
            }
            if (parameter.Name.Length == 0)
            {
                if (map.Get("name") is null && nameKey is null)
                {
                    _d.Error(map.Start, p, "a parameter needs 'name:', e.g. name: DB_PASSWORD");
                }
                continue;
            }
            if (!seen.Add(parameter.Name))
            {
                _d.Error(map.Start, p, $"parameter '{parameter.Name}' is declared twice; keep one");
                continue;
            }
            if (parameter.Type == ParameterType.Port && parameter.Default is { } port && !(int.TryParse(port, out int n) && n is >= 1 and <= 65535))
            {
                _d.Error(map.Get("default")!.Start, Join(p, "default"), $"'{Short(port)}' is not a port; expected a number from 1 to 65535");
            }
            result.Add(parameter);
        }
        return result;
    }

    internal static bool IsVariableName(string name) =>
        name.Length is > 0 and <= 128 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private List<ScheduleDefinition> Schedules(YNode node, string path)
    {
        var result = new List<ScheduleDefinition>();
        if (node is not YSequence list)
        {
            TypeError(node, path, "a list of schedules like - {name: nightly, cron: \"0 4 * * *\", action: restart}");
            return result;
        }
        for (int i = 0; i < list.Items.Count; i++)
        {
            string p = Index(path, i);
            YMapping? map = Mapping(list.Items[i], p, "a schedule mapping");
            if (map is null)
            {
                continue;
            }
            string? name = null;
            string? cron = null;
            ScheduleAction? action = null;
            string? service = null;
            List<string>? command = null;
            foreach ((YScalar key, YNode value) in map.Entries)
            {
                string kp = Join(p, key.Value);
                switch (key.Value)
                {
                    case "name":
                        name = Text(value, kp, "a schedule name");
                        break;
                    case "cron":
                        cron = Text(value, kp, "a cron expression like \"0 4 * * *\"");
                        if (cron is not null && CronError(cron) is string error)
                        {
                            _d.Error(value.Start, kp, $"'{Short(cron)}' is not a cron expression: {error}; expected 5 fields MINUTE HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK, e.g. \"0 4 * * *\" (04:00 every day)");
                            cron = null;
                        }
                        break;
                    case "action":
                        string? text = Text(value, kp, "restart, update-check or command");
                        if (text is not null)
                        {
                            if (StackNames.TryParse(text, out ScheduleAction parsed))
                            {
                                action = parsed;
                            }
                            else
                            {
                                _d.Error(value.Start, kp, $"'{Short(text)}' is not a schedule action; expected restart, update-check or command");
                            }
                        }
                        break;
                    case "service":
                        service = Text(value, kp, "a service name");
                        break;
                    case "command":
                        command = Words(value, kp);
                        break;
                    default:
                        Unknown(key, p, ["name", "cron", "action", "service", "command"]);
                        break;
                }
            }
            if (name is null || cron is null || action is null)
            {
                if (map.Get("name") is null || map.Get("cron") is null || map.Get("action") is null)
                {
                    _d.Error(map.Start, p, "a schedule needs name:, cron: and action:");
                }
                continue;
            }
            if (action == ScheduleAction.Command && (command is null || command.Count == 0 || service is null))
            {
                _d.Error(map.Start, p, "action: command needs service: (where it runs) and command: (what runs)");
                continue;
            }
            result.Add(new ScheduleDefinition(name, cron, action.Value, service, command, map.Start, p));
        }
        return result;
    }

    private static string? CronError(string cron)
    {
        string[] fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
        {
            return $"{fields.Length} fields";
        }
        int[] max = [59, 23, 31, 12, 7];
        int[] min = [0, 0, 1, 1, 0];
        for (int f = 0; f < 5; f++)
        {
            foreach (string part in fields[f].Split(','))
            {
                string range = part;
                int slash = part.IndexOf('/');
                if (slash >= 0)
                {
                    if (!int.TryParse(part.AsSpan(slash + 1), out int step) || step < 1)
                    {
                        return $"bad step in '{part}'";
                    }
                    range = part[..slash];
                }
                if (range == "*")
                {
                    continue;
                }
                foreach (string bound in range.Split('-'))
                {
                    if (!int.TryParse(bound, out int v) || v < min[f] || v > max[f])
                    {
                        return $"'{part}' is out of range {min[f]}-{max[f]} in field {f + 1}";
                    }
                }
            }
        }
        return null;
    }

    private ServiceExtension? ServiceExtensionOf(YNode node, string path)
    {
        YMapping? map = Mapping(node, path, "a mapping with exposure, sources, ports and autoheal");
        if (map is null)
        {
            return null;
        }
        var extension = new ServiceExtension();
        foreach ((YScalar key, YNode value) in map.Entries)
        {
            string p = Join(path, key.Value);
            switch (key.Value)
            {
                case "exposure":
                    extension = extension with { Exposure = ExposureOf(value, p) };
                    break;
                case "sources":
                    extension = extension with { Sources = Cidrs(value, p) };
                    break;
                case "ports":
                    extension = extension with { Ports = PortExposures(value, p) };
                    break;
                case "autoheal":
                    extension = extension with { Autoheal = Autoheal(value, p) };
                    break;
                default:
                    Unknown(key, path, ["exposure", "sources", "ports", "autoheal"]);
                    break;
            }
        }
        return extension;
    }

    private Exposure? ExposureOf(YNode node, string path)
    {
        string? text = Text(node, path, ExposureNames);
        if (text is null)
        {
            return null;
        }
        if (!StackNames.TryParse(text, out Exposure exposure))
        {
            _d.Error(node.Start, path, $"'{Short(text)}' is not an exposure; expected {ExposureNames}");
            return null;
        }
        return exposure;
    }

    private List<string> Cidrs(YNode node, string path)
    {
        var result = new List<string>();
        foreach ((string text, YNode item, string p) in TextList(node, path, "addresses or CIDRs like 192.168.1.0/24", allowSingle: true))
        {
            if (IPNetwork.TryParse(text, out IPNetwork network))
            {
                result.Add(network.ToString());
            }
            else if (IPAddress.TryParse(text, out IPAddress? address))
            {
                result.Add($"{address}/{(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)}");
            }
            else
            {
                _d.Error(item.Start, p, $"'{Short(text)}' is not an address or CIDR; expected e.g. 192.168.1.0/24, 10.0.0.5 or fd00::/8 (host bits must be zero)");
            }
        }
        return result;
    }

    private List<PortExposureDefinition> PortExposures(YNode node, string path)
    {
        var result = new List<PortExposureDefinition>();
        YMapping? map = Mapping(node, path, "a mapping of published host ports to exposures, e.g. {\"10022\": internet}");
        foreach ((YScalar key, YNode value) in map?.Entries ?? [])
        {
            string p = Join(path, key.Value);
            // Keys here are host ports, so they may use the same ${VAR} as the ports they name.
            string spec = _vars.Interpolate(key.Value, key.Start, p);
            string written = spec;
            PortProtocol? protocol = null;
            int slash = spec.IndexOf('/');
            if (slash >= 0)
            {
                protocol = spec[(slash + 1)..] switch
                {
                    "tcp" => PortProtocol.Tcp,
                    "udp" => PortProtocol.Udp,
                    _ => null,
                };
                if (protocol is null)
                {
                    _d.Error(key.Start, p, $"'{Short(spec)}' has an unknown protocol; expected HOST_PORT[/tcp|udp]");
                    continue;
                }
                spec = spec[..slash];
            }
            if (!TryParseRange(spec, out int start, out int end, out string? error))
            {
                _d.Error(key.Start, p, $"'{Short(written)}' {error}; the keys here are published host ports like \"10022\" or \"8000-8010/udp\"");
                continue;
            }
            Exposure? exposure = null;
            List<string> sources = [];
            if (value is YMapping options)
            {
                foreach ((YScalar okey, YNode ovalue) in options.Entries)
                {
                    string op = Join(p, okey.Value);
                    switch (okey.Value)
                    {
                        case "exposure":
                            exposure = ExposureOf(ovalue, op);
                            break;
                        case "sources":
                            sources = Cidrs(ovalue, op);
                            break;
                        default:
                            Unknown(okey, p, ["exposure", "sources"]);
                            break;
                    }
                }
                if (exposure is null && options.Get("exposure") is null)
                {
                    _d.Error(options.Start, p, $"give 'exposure:' ({ExposureNames})");
                }
            }
            else
            {
                exposure = ExposureOf(value, p);
            }
            if (exposure is null)
            {
                continue;
            }
            result.Add(new PortExposureDefinition(start, end, protocol, exposure.Value, sources, key.Start, p));
        }
        return result;
    }

    private AutohealDefinition? Autoheal(YNode node, string path)
    {
        if (node is YScalar)
        {
            bool? enabled = Bool(node, path);
            return enabled is null ? null : new AutohealDefinition(enabled, null, null, null, node.Start);
        }
        YMapping? map = Mapping(node, path, "true, false, or a mapping with enabled, max_restarts, window, backoff");
        if (map is null)
        {
            return null;
        }
        var autoheal = new AutohealDefinition(null, null, null, null, node.Start);
        foreach ((YScalar key, YNode value) in map.Entries)
        {
            string p = Join(path, key.Value);
            switch (key.Value)
            {
                case "enabled":
                    autoheal = autoheal with { Enabled = Bool(value, p) };
                    break;
                case "max_restarts":
                    autoheal = autoheal with { MaxRestarts = (int?)Integer(value, p, 1, 1000, "a restart count") };
                    break;
                case "window":
                    autoheal = autoheal with { Window = Positive(Duration(value, p), value, p) };
                    break;
                case "backoff":
                    autoheal = autoheal with { Backoff = Positive(Duration(value, p), value, p) };
                    break;
                default:
                    Unknown(key, path, ["enabled", "max_restarts", "window", "backoff"]);
                    break;
            }
        }
        return autoheal;
    }
}
