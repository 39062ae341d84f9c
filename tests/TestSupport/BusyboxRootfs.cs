namespace Appliance.TestSupport;

/// <summary>A tiny root filesystem for containers in tests: Debian's busybox-static and its applet symlinks.</summary>
public static class BusyboxRootfs
{
    public const string Busybox = "/bin/busybox";

    /// <summary>Creates DIR with bin/busybox, every applet as a symlink in /bin, /etc/passwd and /etc/group; returns DIR.</summary>
    public static async Task<string> CreateAsync(string dir, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(Busybox))
        {
            throw new InvalidOperationException($"{Busybox} is missing: apt-get install -y busybox-static");
        }
        foreach (string sub in new[] { "bin", "etc", "tmp", "root", "var", "home" })
        {
            Directory.CreateDirectory(Path.Combine(dir, sub));
        }
        File.Copy(Busybox, Path.Combine(dir, "bin/busybox"), overwrite: true);
        CommandResult list = await Command.RunAsync([Busybox, "--list"], TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);
        foreach (string applet in list.EnsureSuccess().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string link = Path.Combine(dir, "bin", applet);
            if (applet != "busybox" && !File.Exists(link))
            {
                File.CreateSymbolicLink(link, "busybox");
            }
        }
        await File.WriteAllTextAsync(Path.Combine(dir, "etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000:app:/home:/bin/sh\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir, "etc/group"), "root:x:0:\nnogroup:x:65534:\napp:x:1000:\n", cancellationToken);
        return dir;
    }
}
