using Appliance.Orchestrator.Stacks.Definition;
using Appliance.Orchestrator.Stacks.Yaml;

namespace Appliance.Orchestrator.Stacks.Parsing;

internal sealed partial class StackParser
{
    private const string VolumeSyntax = "expected SOURCE:TARGET[:ro], where SOURCE is a declared volume name or a host path (/abs or ./relative), e.g. \"data:/var/lib/postgresql/data\" or \"./config:/config:ro\"";

    private List<MountDefinition> Mounts(YNode node, string path) =>
        ShortOrLongList(node, path, "a list of mounts like - \"data:/data\"", LongMount, ShortMount);

    private MountDefinition? ShortMount(YNode node, string path)
    {
        string? text = Text(node, path, "a mount like \"data:/data\"");
        if (text is null)
        {
            return null;
        }
        string[] parts = text.Split(':');
        if (parts.Length == 1)
        {
            _d.Error(node.Start, path, $"'{Short(text)}' is an anonymous volume, which Appliance does not create; name it and declare it under the top-level volumes:, e.g. \"{Slug(text)}:{text}\"");
            return null;
        }
        if (parts.Length > 3)
        {
            _d.Error(node.Start, path, $"'{Short(text)}' has too many ':'; {VolumeSyntax}");
            return null;
        }
        string source = parts[0];
        string target = parts[1];
        bool readOnly = false;
        if (parts.Length == 3)
        {
            foreach (string option in parts[2].Split(','))
            {
                switch (option)
                {
                    case "ro":
                        readOnly = true;
                        break;
                    case "rw" or "nocopy" or "cached" or "delegated" or "consistent":
                        break;
                    case "z" or "Z":
                        _d.Warning(node.Start, path, $"mount option '{option}' (SELinux relabel) is ignored");
                        break;
                    default:
                        _d.Error(node.Start, path, $"'{Short(option)}' in '{Short(text)}' is not a mount option; expected ro or rw");
                        return null;
                }
            }
        }
        if (source.Length == 0 || target.Length == 0)
        {
            _d.Error(node.Start, path, $"'{Short(text)}' has an empty source or target; {VolumeSyntax}");
            return null;
        }
        if (!CheckTarget(node, path, target))
        {
            return null;
        }
        MountType type = IsHostPath(source) ? MountType.Bind : MountType.Volume;
        if (type == MountType.Volume && !IsValidVolumeName(source))
        {
            _d.Error(node.Start, path, $"'{Short(source)}' is neither a volume name nor a host path; volume names use letters, digits, '-', '_' and '.'; host paths start with '/', './' or '../'");
            return null;
        }
        return new MountDefinition(type, source, target, readOnly, null, node.Start, path);
    }

    private static string Slug(string target)
    {
        string slug = new([.. target.Where(char.IsAsciiLetterOrDigit)]);
        return slug.Length == 0 ? "data" : slug.ToLowerInvariant();
    }

    internal static bool IsHostPath(string source) => source.StartsWith('/') || source.StartsWith('.') || source.StartsWith('~');

    private static bool IsValidVolumeName(string name) =>
        name.Length is > 0 and <= 128 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private bool CheckTarget(YNode node, string path, string target)
    {
        if (!target.StartsWith('/'))
        {
            _d.Error(node.Start, path, $"mount target '{Short(target)}' is not an absolute path inside the container; it must start with '/'");
            return false;
        }
        return true;
    }

    private MountDefinition? LongMount(YMapping map, string path)
    {
        string? type = null;
        string? source = null;
        string? target = null;
        bool readOnly = false;
        long? size = null;
        foreach ((YScalar key, YNode value) in map.Entries)
        {
            string p = Join(path, key.Value);
            switch (key.Value)
            {
                case "type":
                    type = Text(value, p, "volume, bind or tmpfs");
                    break;
                case "source":
                    source = Text(value, p, "a volume name or host path");
                    break;
                case "target":
                    target = Text(value, p, "an absolute path in the container");
                    break;
                case "read_only":
                    readOnly = Bool(value, p) ?? false;
                    break;
                case "tmpfs":
                    YMapping? tmpfs = Mapping(value, p, "a mapping with size");
                    foreach ((YScalar tkey, YNode tvalue) in tmpfs?.Entries ?? [])
                    {
                        switch (tkey.Value)
                        {
                            case "size":
                                size = Bytes(tvalue, Join(p, "size"));
                                break;
                            case "mode":
                                Integer(tvalue, Join(p, "mode"), 0, 4095, "a file mode");
                                break;
                            default:
                                Unknown(tkey, p, ["size", "mode"]);
                                break;
                        }
                    }
                    break;
                case "bind":
                case "volume":
                case "consistency":
                    // bind.create_host_path, bind.propagation, volume.nocopy: accepted and ignored (defaults fit).
                    break;
                default:
                    Unknown(key, path, ["type", "source", "target", "read_only", "tmpfs", "bind", "volume", "consistency"]);
                    break;
            }
        }
        if (target is null)
        {
            _d.Error(map.Start, path, "a mount needs 'target:' (the path in the container)");
            return null;
        }
        if (!CheckTarget(map, Join(path, "target"), target))
        {
            return null;
        }
        switch (type)
        {
            case "tmpfs":
                return new MountDefinition(MountType.Tmpfs, null, target, readOnly, size, map.Start, path);
            case "bind":
                if (source is null || !IsHostPath(source))
                {
                    _d.Error(map.Start, path, "a bind mount needs 'source:' with a host path (starting with '/', './' or '../')");
                    return null;
                }
                return new MountDefinition(MountType.Bind, source, target, readOnly, null, map.Start, path);
            case "volume":
                if (source is null)
                {
                    _d.Error(map.Start, path, "anonymous volumes are not created by Appliance; give 'source:' with a volume declared under the top-level volumes:");
                    return null;
                }
                if (!IsValidVolumeName(source))
                {
                    _d.Error(map.Start, Join(path, "source"), $"'{Short(source)}' is not a volume name; use letters, digits, '-', '_' and '.' (for a host path use type: bind)");
                    return null;
                }
                return new MountDefinition(MountType.Volume, source, target, readOnly, null, map.Start, path);
            case null:
                _d.Error(map.Start, path, "a mount needs 'type:' (volume, bind or tmpfs)");
                return null;
            default:
                _d.Error(map.Start, Join(path, "type"), $"'{Short(type)}' is not a mount type; expected volume, bind or tmpfs");
                return null;
        }
    }

    private List<MountDefinition> Tmpfs(YNode node, string path)
    {
        var result = new List<MountDefinition>();
        foreach ((string text, YNode item, string p) in TextList(node, path, "paths", allowSingle: true))
        {
            int colon = text.IndexOf(':');
            string target = colon < 0 ? text : text[..colon];
            long? size = null;
            if (colon >= 0)
            {
                foreach (string option in text[(colon + 1)..].Split(','))
                {
                    if (option.StartsWith("size=", StringComparison.Ordinal) && ValueParsers.TryParseBytes(option[5..], out long bytes))
                    {
                        size = bytes;
                    }
                }
            }
            if (CheckTarget(item, p, target))
            {
                result.Add(new MountDefinition(MountType.Tmpfs, null, target, false, size, item.Start, p));
            }
        }
        return result;
    }

    private List<VolumeDefinition> TopVolumes(YNode node)
    {
        var result = new List<VolumeDefinition>();
        if (node is YScalar { IsNull: true })
        {
            return result;
        }
        YMapping? map = Mapping(node, "volumes", "a mapping of volume names, e.g. volumes: {data: {}}");
        foreach ((YScalar key, YNode value) in map?.Entries ?? [])
        {
            string path = Join("volumes", key.Value);
            if (!IsValidVolumeName(key.Value))
            {
                _d.Error(key.Start, path, $"'{Short(key.Value)}' is not a valid volume name; use letters, digits, '-', '_' and '.'");
                continue;
            }
            string? storageName = null;
            var labels = new List<KeyValuePair<string, string>>();
            if (value is YMapping options)
            {
                foreach ((YScalar okey, YNode ovalue) in options.Entries)
                {
                    string p = Join(path, okey.Value);
                    switch (okey.Value)
                    {
                        case "name":
                            storageName = Text(ovalue, p, "a volume name");
                            if (storageName is not null && !IsValidVolumeName(storageName))
                            {
                                _d.Error(ovalue.Start, p, $"'{Short(storageName)}' is not a valid volume name; use letters, digits, '-', '_' and '.'");
                            }
                            break;
                        case "labels":
                            labels = Pairs(ovalue, p, "label");
                            break;
                        case "driver":
                            string? driver = Text(ovalue, p, "local");
                            if (driver is not null and not "local")
                            {
                                _d.Error(ovalue.Start, p, $"volume driver '{Short(driver)}' is not supported; Appliance stores volumes on the local disk (driver: local)");
                            }
                            break;
                        case "external":
                            if (Bool(ovalue, p) == true)
                            {
                                _d.Error(okey.Start, p, "'external: true' is not supported: a stack's volumes are created and kept by Appliance; remove it (the data stays until you delete the volume)");
                            }
                            break;
                        case "driver_opts":
                            _d.Error(okey.Start, p, "'driver_opts' is not supported; for a host folder mount it directly: volumes: ['/srv/data:/data']");
                            break;
                        default:
                            Unknown(okey, path, ["name", "labels", "driver", "external"]);
                            break;
                    }
                }
            }
            else if (value is not YScalar { IsNull: true })
            {
                TypeError(value, path, "a mapping of volume options or nothing");
            }
            result.Add(new VolumeDefinition(key.Value, storageName, labels, key.Start));
        }
        return result;
    }

    private List<NetworkDefinition> TopNetworks(YNode node)
    {
        var result = new List<NetworkDefinition>();
        if (node is YScalar { IsNull: true })
        {
            return result;
        }
        YMapping? map = Mapping(node, "networks", "a mapping of network names, e.g. networks: {default: {}}");
        foreach ((YScalar key, YNode value) in map?.Entries ?? [])
        {
            string path = Join("networks", key.Value);
            string? bridgeName = null;
            if (value is YMapping options)
            {
                foreach ((YScalar okey, YNode ovalue) in options.Entries)
                {
                    string p = Join(path, okey.Value);
                    switch (okey.Value)
                    {
                        case "name":
                            bridgeName = Text(ovalue, p, "a network name");
                            break;
                        case "driver":
                            string? driver = Text(ovalue, p, "bridge");
                            if (driver is not null and not "bridge")
                            {
                                _d.Error(ovalue.Start, p, $"network driver '{Short(driver)}' is not supported; every stack runs on one Linux bridge (driver: bridge)");
                            }
                            break;
                        case "external":
                            if (Bool(ovalue, p) == true)
                            {
                                _d.Error(okey.Start, p, "'external: true' is not supported: a stack cannot join a network outside itself (its firewall rules are per stack); remove the network and publish the ports another stack needs");
                            }
                            break;
                        case "internal":
                            if (Bool(ovalue, p) == true)
                            {
                                _d.Error(okey.Start, p, "'internal: true' is not supported yet: stack containers get masqueraded egress; remove it");
                            }
                            break;
                        case "labels" or "attachable" or "enable_ipv6" or "driver_opts":
                            _d.Warning(okey.Start, p, $"'{okey.Value}' is ignored: Appliance creates and addresses the stack's bridge itself");
                            break;
                        case "ipam":
                            _d.Error(okey.Start, p, "'ipam' is not supported: Appliance picks the stack's subnet from its pool (never overlapping a host route); remove it");
                            break;
                        default:
                            Unknown(okey, path, ["name", "driver", "external", "internal"]);
                            break;
                    }
                }
            }
            else if (value is not YScalar { IsNull: true })
            {
                TypeError(value, path, "a mapping of network options or nothing");
            }
            result.Add(new NetworkDefinition(key.Value, bridgeName, key.Start));
        }
        return result;
    }
}
