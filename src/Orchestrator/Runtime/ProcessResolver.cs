namespace Appliance.Orchestrator.Runtime;

/// <summary>
/// Combines an image's config with a service's overrides the way Compose does: a service
/// <c>entrypoint</c> replaces the image's Entrypoint and drops its Cmd; a service <c>command</c>
/// replaces Cmd; environment entries of the service override the image's by key.
/// </summary>
public static class ProcessResolver
{
    public static ContainerProcess Resolve(ImageProcessConfig image, IReadOnlyList<string>? entrypoint, IReadOnlyList<string>? command,
        IReadOnlyDictionary<string, string>? environment = null, string? user = null, string? workingDir = null)
    {
        IReadOnlyList<string> ep = entrypoint ?? image.Entrypoint;
        IReadOnlyList<string> cmd = command ?? (entrypoint is null ? image.Cmd : []);
        List<string> args = [.. ep, .. cmd];
        if (args.Count == 0)
        {
            throw new ArgumentException("neither the image nor the service says what to run: set 'command' or 'entrypoint' in the service");
        }

        var env = new List<string>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        void Set(string key, string entry)
        {
            if (index.TryGetValue(key, out int at))
            {
                env[at] = entry;
            }
            else
            {
                index[key] = env.Count;
                env.Add(entry);
            }
        }
        foreach (string entry in image.Env)
        {
            int eq = entry.IndexOf('=');
            Set(eq < 0 ? entry : entry[..eq], entry);
        }
        if (!index.ContainsKey("PATH"))
        {
            Set("PATH", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        }
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            Set(key, $"{key}={value}");
        }

        return new ContainerProcess
        {
            Args = args,
            Env = env,
            User = string.IsNullOrEmpty(user) ? (string.IsNullOrEmpty(image.User) ? null : image.User) : user,
            WorkingDir = string.IsNullOrEmpty(workingDir) ? (string.IsNullOrEmpty(image.WorkingDir) ? "/" : image.WorkingDir) : workingDir,
        };
    }
}
