using System.Text;
using System.Text.RegularExpressions;

namespace Appliance.TestSupport;

/// <summary>
/// Finds what tests left behind: network namespaces, links in the machine's own namespace, nft
/// tables in the machine's own namespace, runc containers, mounts, processes and temp dirs
/// whose names carry a test prefix. Run after the suite (tests/LeakGuard) and tested itself.
/// </summary>
public static class LeakGuard
{
    public static async Task<IReadOnlyList<string>> ScanAsync(Regex prefix, CancellationToken cancellationToken = default)
    {
        var leaks = new List<string>();

        if (Directory.Exists("/run/netns"))
        {
            leaks.AddRange(Directory.EnumerateFileSystemEntries("/run/netns").Select(Path.GetFileName)
                .Where(n => prefix.IsMatch(n!)).Select(n => $"network namespace {n}"));
        }

        foreach (string link in Directory.EnumerateFileSystemEntries("/sys/class/net").Select(p => Path.GetFileName(p)!))
        {
            if (prefix.IsMatch(link))
            {
                leaks.Add($"link {link} in the machine's own namespace");
            }
        }

        CommandResult tables = await Command.RunAsync(["nft", "list", "tables"], TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);
        foreach (string line in tables.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "table inet appliance": tests must never write to the machine's own ruleset.
            string name = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
            if (prefix.IsMatch(name) || name.StartsWith("appliance", StringComparison.Ordinal))
            {
                leaks.Add($"nft {line.Trim()} in the machine's own namespace");
            }
        }

        foreach (string dir in Directory.EnumerateDirectories("/run").Where(d => prefix.IsMatch(Path.GetFileName(d))))
        {
            string runcRoot = Path.Combine(dir, "runc");
            if (Directory.Exists(runcRoot))
            {
                leaks.AddRange(Directory.EnumerateDirectories(runcRoot).Select(c => $"runc container {Path.GetFileName(c)} (root {runcRoot})"));
            }
        }

        foreach (string line in await File.ReadAllLinesAsync("/proc/self/mountinfo", cancellationToken))
        {
            string[] fields = line.Split(' ');
            if (fields.Length > 4 && fields[4].Split('/').Any(part => prefix.IsMatch(part)))
            {
                leaks.Add($"mount {fields[4]}");
            }
        }

        foreach (string procDir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(procDir), out int pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            string? value = ReadEnvironment(procDir, TestPrefix.EnvironmentVariable);
            if (value is not null && prefix.IsMatch(value))
            {
                leaks.Add($"process {pid} ({ReadCommandLine(procDir)}) of test {value}");
            }
        }

        foreach (string root in new[] { Path.GetTempPath(), "/run" })
        {
            leaks.AddRange(Directory.EnumerateFileSystemEntries(root)
                .Where(p => prefix.IsMatch(Path.GetFileName(p)))
                .Select(p => $"path {p}"));
        }

        return leaks;
    }

    private static string? ReadEnvironment(string procDir, string name)
    {
        try
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(procDir, "environ"));
            string needle = name + "=";
            foreach (string entry in Encoding.UTF8.GetString(bytes).Split('\0'))
            {
                if (entry.StartsWith(needle, StringComparison.Ordinal))
                {
                    return entry[needle.Length..];
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the process ended while we looked, or is a kernel thread
        }
        return null;
    }

    private static string ReadCommandLine(string procDir)
    {
        try
        {
            return File.ReadAllText(Path.Combine(procDir, "cmdline")).Replace('\0', ' ').Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }
}
