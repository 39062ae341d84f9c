namespace Appliance.Orchestrator.Runtime;

/// <summary>Turns "user[:group]" into uid/gid, looking names up in the rootfs' /etc/passwd and /etc/group.</summary>
internal static class UserResolver
{
    public static (uint Uid, uint Gid)? Resolve(string? user, string rootfs, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(user))
        {
            return (0, 0);
        }
        string[] parts = user.Split(':', 2);
        uint uid;
        uint? gid = null;
        if (uint.TryParse(parts[0], out uint u))
        {
            uid = u;
            gid = Lookup(Path.Combine(rootfs, "etc/passwd"), 2, e => e[2] == parts[0], 3);
        }
        else
        {
            uint? found = Lookup(Path.Combine(rootfs, "etc/passwd"), 2, e => e[0] == parts[0], 2);
            if (found is null)
            {
                problems.Add($"user: '{parts[0]}' is not in the image's /etc/passwd; use a numeric uid or a user the image has");
                return null;
            }
            uid = found.Value;
            gid = Lookup(Path.Combine(rootfs, "etc/passwd"), 3, e => e[0] == parts[0], 3);
        }
        if (parts.Length == 2)
        {
            if (uint.TryParse(parts[1], out uint g))
            {
                gid = g;
            }
            else
            {
                gid = Lookup(Path.Combine(rootfs, "etc/group"), 2, e => e[0] == parts[1], 2);
                if (gid is null)
                {
                    problems.Add($"user: group '{parts[1]}' is not in the image's /etc/group; use a numeric gid or a group the image has");
                    return null;
                }
            }
        }
        return (uid, gid ?? 0);
    }

    private static uint? Lookup(string file, int minIndex, Func<string[], bool> match, int field)
    {
        if (!File.Exists(file))
        {
            return null;
        }
        foreach (string line in File.ReadLines(file))
        {
            string[] e = line.Split(':');
            if (e.Length > Math.Max(minIndex, field) && match(e) && uint.TryParse(e[field], out uint v))
            {
                return v;
            }
        }
        return null;
    }
}
