using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using YamlDotNet.RepresentationModel;

namespace Appliance.Web.Ui.Catalog;

/// <summary>
/// Reads the packaged stacks. Parameters come from <c>x-appliance.parameters</c> (a list or map of
/// name -> {description, default, generate: secret}) and from every <c>${VAR}</c> the file uses.
/// </summary>
public sealed partial class StackCatalog(IOptions<UiOptions> options, ILogger<StackCatalog> logger)
{
    private const long MaxIconBytes = 256 * 1024;

    public string? Directory => options.Value.CatalogDir ?? FindDefaultDirectory();

    public IReadOnlyList<CatalogEntry> List()
    {
        string? dir = Directory;
        if (dir is null || !System.IO.Directory.Exists(dir))
        {
            return [];
        }
        var entries = new List<CatalogEntry>();
        foreach (string folder in System.IO.Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal))
        {
            string file = Path.Combine(folder, "stack.yaml");
            if (!File.Exists(file))
            {
                continue;
            }
            try
            {
                entries.Add(Read(Path.GetFileName(folder), folder, File.ReadAllText(file)));
            }
            catch (Exception e) when (e is IOException or YamlDotNet.Core.YamlException or UnauthorizedAccessException)
            {
                LogUnreadable(logger, file, e.Message);
            }
        }
        return entries;
    }

    /// <summary>The entry of that name; names never reach the file system unchecked.</summary>
    public CatalogEntry? Find(string name) => IsSafeName(name) ? List().FirstOrDefault(e => e.Name == name) : null;

    public static bool IsSafeName(string name) => SafeName().IsMatch(name);

    private static CatalogEntry Read(string name, string folder, string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var root = stream.Documents.Count > 0 ? stream.Documents[0].RootNode as YamlMappingNode : null;
        var extension = Child(root, "x-appliance") as YamlMappingNode;
        var catalog = Child(extension, "catalog") as YamlMappingNode;
        string title = Scalar(catalog, "title") ?? Scalar(extension, "title") ?? Scalar(root, "name") ?? name;
        string description = Scalar(catalog, "description") ?? Scalar(extension, "description") ?? ReadmeSummary(folder) ?? "";

        var parameters = new List<CatalogParameter>();
        switch (Child(extension, "parameters"))
        {
            case YamlSequenceNode list:
                foreach (YamlMappingNode item in list.Children.OfType<YamlMappingNode>())
                {
                    if (Scalar(item, "name") is { } n)
                    {
                        parameters.Add(Parameter(n, item));
                    }
                }
                break;
            case YamlMappingNode map:
                foreach ((YamlNode key, YamlNode value) in map.Children)
                {
                    parameters.Add(Parameter(((YamlScalarNode)key).Value ?? "", value as YamlMappingNode));
                }
                break;
        }
        var defaults = new Dictionary<string, string?>();
        foreach (Match m in Variable().Matches(yaml))
        {
            defaults.TryAdd(m.Groups["name"].Value, m.Groups["default"].Success ? m.Groups["default"].Value : null);
        }
        foreach ((string variable, string? value) in defaults)
        {
            if (!parameters.Any(p => p.Name == variable))
            {
                bool secret = variable.Contains("PASSWORD", StringComparison.OrdinalIgnoreCase) || variable.Contains("SECRET", StringComparison.OrdinalIgnoreCase);
                parameters.Add(new CatalogParameter(variable, "", value, secret && value is null));
            }
        }
        return new CatalogEntry(name, title, description.Trim(), Icon(folder), yaml, parameters, HostPorts(root, defaults));
    }

    private static CatalogParameter Parameter(string name, YamlMappingNode? node)
        => new(name, Scalar(node, "description") ?? "", Scalar(node, "default"),
            Scalar(node, "generate") is "secret" or "password" || Scalar(node, "secret") is "true");

    /// <summary>The host ports a stack file publishes, with its ${VARS} taken from <paramref name="values"/> or their defaults.</summary>
    internal static List<int> HostPorts(string yaml, IReadOnlyDictionary<string, string> values)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var defaults = new Dictionary<string, string?>();
        foreach (Match m in Variable().Matches(yaml))
        {
            string name = m.Groups["name"].Value;
            defaults.TryAdd(name, values.TryGetValue(name, out string? given) ? given : m.Groups["default"].Success ? m.Groups["default"].Value : null);
        }
        return HostPorts(stream.Documents.Count > 0 ? stream.Documents[0].RootNode as YamlMappingNode : null, defaults);
    }

    private static List<int> HostPorts(YamlMappingNode? root, Dictionary<string, string?> defaults)
    {
        var ports = new List<int>();
        if (Child(root, "services") is not YamlMappingNode services)
        {
            return ports;
        }
        foreach (YamlMappingNode service in services.Children.Values.OfType<YamlMappingNode>())
        {
            if (Child(service, "ports") is not YamlSequenceNode list)
            {
                continue;
            }
            foreach (YamlNode item in list)
            {
                string? text = item is YamlScalarNode s ? s.Value : Scalar(item as YamlMappingNode, "published");
                if (text is null)
                {
                    continue;
                }
                text = Variable().Replace(text, m => defaults.GetValueOrDefault(m.Groups["name"].Value) ?? "");
                string[] parts = text.Split('/')[0].Split(':');
                if (parts.Length >= 2 && int.TryParse(parts[^2], out int port))
                {
                    ports.Add(port);
                }
                else if (item is YamlMappingNode && int.TryParse(parts[0], out int published))
                {
                    ports.Add(published);
                }
            }
        }
        return ports;
    }

    private static string? ReadmeSummary(string folder)
    {
        string readme = Path.Combine(folder, "README.md");
        if (!File.Exists(readme))
        {
            return null;
        }
        return string.Join(' ', File.ReadLines(readme).SkipWhile(l => l.StartsWith('#') || l.Trim().Length == 0).TakeWhile(l => l.Trim().Length > 0));
    }

    private static string? Icon(string folder)
    {
        foreach ((string file, string type) in new[] { ("icon.svg", "image/svg+xml"), ("icon.png", "image/png") })
        {
            var info = new FileInfo(Path.Combine(folder, file));
            if (info.Exists && info.Length <= MaxIconBytes)
            {
                return $"data:{type};base64,{Convert.ToBase64String(File.ReadAllBytes(info.FullName))}";
            }
        }
        return null;
    }

    private static YamlNode? Child(YamlMappingNode? node, string key)
        => node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? child) ? child : null;

    private static string? Scalar(YamlMappingNode? node, string key) => (Child(node, key) as YamlScalarNode)?.Value;

    private static string? FindDefaultDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "stacks");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return System.IO.Directory.Exists("/usr/share/appliance/stacks") ? "/usr/share/appliance/stacks" : null;
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex SafeName();

    [GeneratedRegex(@"(?<!\$)\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?<default>[^}]*))?\}")]
    private static partial Regex Variable();

    [LoggerMessage(EventId = 1020, Level = LogLevel.Warning, Message = "Catalog stack '{File}' is unreadable and not shown: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string file, string reason);
}
