using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Appliance.Web.Ui.Editor;

/// <summary>
/// YAML syntax plus the shape of a stack file: a non-empty <c>services</c> map, an <c>image</c> per service,
/// and only the top-level and service keys Appliance supports (an unsupported key is an error naming it).
/// </summary>
public sealed class YamlStackValidator : IStackValidator
{
    private static readonly HashSet<string> TopLevel = ["name", "services", "volumes", "networks", "x-appliance", "version"];

    private static readonly HashSet<string> ServiceKeys =
    [
        "image", "command", "entrypoint", "environment", "env_file", "ports", "volumes", "depends_on", "healthcheck",
        "restart", "user", "working_dir", "cap_add", "labels", "mem_limit", "deploy", "networks", "x-appliance", "container_name", "hostname",
    ];

    public IReadOnlyList<StackDiagnostic> Validate(string text, string fileName)
    {
        var errors = new List<StackDiagnostic>();
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            errors.Add(new StackDiagnostic((int)e.Start.Line, (int)e.Start.Column, "", $"YAML syntax: {Inner(e).Message}"));
            return errors;
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            errors.Add(new StackDiagnostic(1, 1, "", "A stack file is a map with a 'services' key, e.g. \"services:\\n  web:\\n    image: nginx\"."));
            return errors;
        }
        foreach ((YamlNode key, YamlNode _) in root.Children)
        {
            string name = ((YamlScalarNode)key).Value ?? "";
            if (!TopLevel.Contains(name) && !name.StartsWith("x-", StringComparison.Ordinal))
            {
                errors.Add(At(key, name, $"'{name}' is not supported at the top level; supported: {string.Join(", ", TopLevel)}."));
            }
        }
        if (!root.Children.TryGetValue(new YamlScalarNode("services"), out YamlNode? servicesNode))
        {
            errors.Add(new StackDiagnostic((int)root.Start.Line, (int)root.Start.Column, "services", "The stack has no 'services'; add at least one service with an image."));
            return errors;
        }
        if (servicesNode is not YamlMappingNode services || services.Children.Count == 0)
        {
            errors.Add(At(servicesNode, "services", "'services' must be a map of service name to its definition."));
            return errors;
        }
        foreach ((YamlNode key, YamlNode value) in services.Children)
        {
            string service = ((YamlScalarNode)key).Value ?? "";
            string path = $"services.{service}";
            if (value is not YamlMappingNode definition)
            {
                errors.Add(At(value, path, "a service must be a map with at least 'image'."));
                continue;
            }
            foreach ((YamlNode serviceKey, YamlNode _) in definition.Children)
            {
                string name = ((YamlScalarNode)serviceKey).Value ?? "";
                if (!ServiceKeys.Contains(name))
                {
                    errors.Add(At(serviceKey, $"{path}.{name}", $"'{name}' is not supported by Appliance; remove it or see docs/stack-format.md."));
                }
            }
            if (!definition.Children.TryGetValue(new YamlScalarNode("image"), out YamlNode? image))
            {
                errors.Add(At(key, $"{path}.image", "the service has no 'image'; add e.g. \"image: redis:7\"."));
            }
            else if (image is not YamlScalarNode { Value.Length: > 0 })
            {
                errors.Add(At(image, $"{path}.image", "'image' must be an image reference such as \"postgres:16\"."));
            }
            if (definition.Children.TryGetValue(new YamlScalarNode("ports"), out YamlNode? ports))
            {
                if (ports is not YamlSequenceNode list)
                {
                    errors.Add(At(ports, $"{path}.ports", "'ports' must be a list, e.g. [\"8080:80\"]."));
                }
                else
                {
                    for (int i = 0; i < list.Children.Count; i++)
                    {
                        if (list.Children[i] is YamlScalarNode { Value: { } mapping } && !IsPortMapping(mapping))
                        {
                            errors.Add(At(list.Children[i], $"{path}.ports[{i}]",
                                $"'{mapping}' is not a port mapping; expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp], e.g. \"10022:22\"."));
                        }
                    }
                }
            }
        }
        return errors;
    }

    private static bool IsPortMapping(string text)
    {
        if (text.Contains("${", StringComparison.Ordinal))
        {
            return true;
        }
        string[] protocol = text.Split('/');
        if (protocol.Length > 2 || (protocol.Length == 2 && protocol[1] is not ("tcp" or "udp")))
        {
            return false;
        }
        string body = protocol[0];
        int lastColon = body.LastIndexOf(':');
        string container = lastColon < 0 ? body : body[(lastColon + 1)..];
        string rest = lastColon < 0 ? "" : body[..lastColon];
        if (!IsPortOrRange(container))
        {
            return false;
        }
        if (rest.Length == 0)
        {
            return true;
        }
        int hostColon = rest.LastIndexOf(':');
        string hostPort = hostColon < 0 ? rest : rest[(hostColon + 1)..];
        string hostIp = hostColon < 0 ? "" : rest[..hostColon].Trim('[', ']');
        return (hostPort.Length == 0 || IsPortOrRange(hostPort))
            && (hostIp.Length == 0 || System.Net.IPAddress.TryParse(hostIp, out _));
    }

    private static bool IsPortOrRange(string text)
    {
        string[] range = text.Split('-');
        return range.Length <= 2 && range.All(p => int.TryParse(p, out int port) && port is > 0 and < 65536);
    }

    private static Exception Inner(YamlException e) => e.InnerException is YamlException inner ? inner : e;

    private static StackDiagnostic At(YamlNode node, string path, string message) => new((int)node.Start.Line, (int)node.Start.Column, path, message);
}
