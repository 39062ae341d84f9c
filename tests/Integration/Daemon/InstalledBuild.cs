using Appliance.TestSupport;

namespace Appliance.Integration.Tests.Daemon;

/// <summary>
/// Appliance as install.sh builds it (deploy/publish.sh): the daemon compiled ahead of time, the web UI beside it in ui/.
/// ./test.sh builds it before the tests and names it in <see cref="EnvironmentVariable"/>; a run without it builds it here, once.
/// </summary>
internal static class InstalledBuild
{
    public const string EnvironmentVariable = "APPLIANCE_TEST_INSTALLED";

    private static readonly Lazy<Task<string>> Built = new(BuildAsync);

    /// <summary>The directory install.sh would install to /opt/appliance.</summary>
    public static Task<string> DirectoryAsync() => Built.Value;

    private static async Task<string> BuildAsync()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } given)
        {
            return File.Exists(Path.Combine(given, "appliance")) ? given
                : throw new InvalidOperationException($"{EnvironmentVariable}={given} has no 'appliance' program: run deploy/publish.sh {given}");
        }
        string repository = new DirectoryInfo(AppContext.BaseDirectory).EnumerateParents()
            .FirstOrDefault(dir => File.Exists(Path.Combine(dir.FullName, "deploy", "publish.sh")))?.FullName
            ?? throw new InvalidOperationException("deploy/publish.sh not found above the test assembly");
        string output = Path.Combine(repository, "tests", "artifacts", "install");
        (await Command.RunAsync([Path.Combine(repository, "deploy", "publish.sh"), output], TimeSpan.FromMinutes(15))).EnsureSuccess();
        return output;
    }

    private static IEnumerable<DirectoryInfo> EnumerateParents(this DirectoryInfo dir)
    {
        for (DirectoryInfo? at = dir; at is not null; at = at.Parent)
        {
            yield return at;
        }
    }
}
