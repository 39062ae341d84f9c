using System.Globalization;

namespace Appliance.TestSupport;

/// <summary>Processes by their parent, from /proc.</summary>
public static class ProcessTree
{
    /// <summary>The live children of <paramref name="parent"/> with <paramref name="argument"/> among their arguments.</summary>
    public static IReadOnlyList<int> ChildrenOf(int parent, string argument)
    {
        var children = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
            {
                continue;
            }
            try
            {
                // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] != "Z" && int.Parse(fields[1], CultureInfo.InvariantCulture) == parent
                    && File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0').Contains(argument))
                {
                    children.Add(pid);
                }
            }
            catch (IOException)
            {
                // gone meanwhile
            }
        }
        return children;
    }
}
