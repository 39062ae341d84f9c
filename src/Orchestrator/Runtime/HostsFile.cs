using System.Text;

namespace Appliance.Orchestrator.Runtime;

/// <summary>Renders a container's /etc/hosts: localhost, then each service of the stack with its aliases.</summary>
public static class HostsFile
{
    public static string Render(IReadOnlyList<HostEntry> entries)
    {
        var text = new StringBuilder();
        text.Append("127.0.0.1\tlocalhost\n");
        text.Append("::1\tlocalhost ip6-localhost ip6-loopback\n");
        foreach (HostEntry entry in entries)
        {
            if (entry.Names.Count == 0)
            {
                continue;
            }
            text.Append(entry.Address).Append('\t').Append(string.Join(' ', entry.Names)).Append('\n');
        }
        return text.ToString();
    }
}
