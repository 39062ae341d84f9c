using System.Security.Cryptography;

namespace Appliance.Web.Ui.Catalog;

/// <summary>Fills an install form: defaults, generated secrets, and host ports already in use.</summary>
public static class InstallPlanner
{
    /// <summary>The given values, completed by defaults and freshly generated secrets.</summary>
    public static Dictionary<string, string> Fill(CatalogEntry entry, IReadOnlyDictionary<string, string>? given)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (CatalogParameter p in entry.Parameters)
        {
            if (given is not null && given.TryGetValue(p.Name, out string? value) && value.Length > 0)
            {
                values[p.Name] = value;
            }
            else if (p.Secret)
            {
                values[p.Name] = GenerateSecret();
            }
            else if (p.Default is not null)
            {
                values[p.Name] = p.Default;
            }
        }
        return values;
    }

    public static string GenerateSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', 'x').Replace('/', 'y');

    /// <summary>One sentence per published host port that is already taken, with the fix.</summary>
    public static IReadOnlyList<string> PortConflicts(CatalogEntry entry, IReadOnlyDictionary<string, string> values, IReadOnlyList<int> used)
    {
        var conflicts = new List<string>();
        foreach (int port in HostPorts(entry, values))
        {
            if (used.Contains(port))
            {
                string? parameter = entry.Parameters.FirstOrDefault(p => values.GetValueOrDefault(p.Name) == port.ToString(System.Globalization.CultureInfo.InvariantCulture))?.Name;
                conflicts.Add(parameter is null
                    ? $"Host port {port} is already published by another stack."
                    : $"Host port {port} is already published by another stack; choose another value for {parameter}.");
            }
        }
        return conflicts;
    }

    private static IEnumerable<int> HostPorts(CatalogEntry entry, IReadOnlyDictionary<string, string> values)
        => StackCatalog.HostPorts(entry.StackYaml, values);
}
