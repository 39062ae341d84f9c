namespace Appliance.TestSupport.Registry;

/// <summary>
/// The test images built by <c>tests/images/build.sh</c> from the Debian packages on this machine,
/// as one OCI image layout (cached between runs; a warm build only prints its directory).
/// Each image is tagged in the layout with its own name: <c>oci:LAYOUT:gitlab-probe</c>.
/// </summary>
public static class TestImages
{
    public const string Busybox = "busybox";
    public const string Postgresql = "postgresql";
    public const string Redis = "redis";
    public const string GitlabProbe = "gitlab-probe";

    /// <summary>~130 MB compressed in 5 layers; built only by <see cref="BuildLargeAsync"/> (benchmarks).</summary>
    public const string BenchLarge = "bench-large";

    public static IReadOnlyList<string> Small { get; } = [Busybox, Postgresql, Redis, GitlabProbe];

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _layout;
    private static string? _largeLayout;

    /// <summary>Builds (or finds in the cache) the small images; returns the OCI layout directory.</summary>
    public static Task<string> BuildAsync(CancellationToken cancellationToken = default) =>
        RunAsync(large: false, cancellationToken);

    /// <summary>Same layout, with <see cref="BenchLarge"/> added.</summary>
    public static Task<string> BuildLargeAsync(CancellationToken cancellationToken = default) =>
        RunAsync(large: true, cancellationToken);

    /// <summary>tests/images/build.sh in the source tree these tests were built from.</summary>
    public static string ScriptPath
    {
        get
        {
            for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "tests", "images", "build.sh");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
            throw new FileNotFoundException($"tests/images/build.sh not found above {AppContext.BaseDirectory}");
        }
    }

    private static async Task<string> RunAsync(bool large, CancellationToken cancellationToken)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            string? known = large ? _largeLayout : _layout;
            if (known is not null)
            {
                return known;
            }
            string[] argv = large ? ["bash", ScriptPath, "--large"] : ["bash", ScriptPath];
            CommandResult result = (await Command.RunAsync(argv, TimeSpan.FromMinutes(5), cancellationToken: cancellationToken)).EnsureSuccess();
            string dir = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
            string layout = Path.Combine(dir, "oci");
            if (!File.Exists(Path.Combine(layout, "index.json")))
            {
                throw new InvalidOperationException($"build.sh printed '{dir}' but {layout}/index.json does not exist:\n{result.Stderr}");
            }
            _layout = layout;
            if (large)
            {
                _largeLayout = layout;
            }
            return layout;
        }
        finally
        {
            Gate.Release();
        }
    }
}
