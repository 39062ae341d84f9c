using System.Diagnostics;

namespace Appliance.Web.Tests.Cli;

/// <summary>`appliance stack validate FILE...` as a user runs it: a separate process, no daemon, exit code and lines.</summary>
public sealed class StackValidateCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"appliance-validate-{Guid.NewGuid():N}");

    public StackValidateCommandTests()
    {
        Directory.CreateDirectory(_dir);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) =>
        RunDotnetAsync(null, [Path.Combine(AppContext.BaseDirectory, "appliance.dll"), .. args]);

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunDotnetAsync(string? workingDirectory, string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? "" };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The README's "From source" line: `dotnet run --project src/Web -- stack validate stacks/gitlab/stack.yaml`
    /// from the repository root, the path relative to where it is typed (without --no-build it would build first).</summary>
    [Fact]
    public async Task FromSource_DotnetRun_ResolvesThePathFromWhereItIsTyped()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Appliance.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no Appliance.sln above the test's directory");
        }
        (int exitCode, string stdout, string stderr) = await RunDotnetAsync(root,
            ["run", "--project", "src/Web", "--no-build", "-c", "Debug", "--", "stack", "validate", "stacks/gitlab/stack.yaml"]);
        Assert.True(exitCode == 0, stdout + stderr);
        // The summary line goes to stderr (diagnostics, none here, to stdout).
        Assert.Equal("stacks/gitlab/stack.yaml: valid, 3 service(s), 0 warning(s)", stderr.Trim());
    }

    [Fact]
    public async Task Validate_InvalidFile_PrintsPositionedErrors_AndExitsOne()
    {
        string bad = Path.Combine(_dir, "bad.yaml");
        string good = Path.Combine(_dir, "good.yaml");
        File.WriteAllText(bad, "version: \"3\"\nservices:\n  gitlab:\n    image: gitlab\n    ports:\n      - \"10080:80\"\n      - \"10022:22:tcp\"\n");
        File.WriteAllText(good, "services:\n  web:\n    image: nginx\n");

        (int exitCode, string stdout, string stderr) = await RunAsync("stack", "validate", good, bad);

        Assert.Equal(1, exitCode);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal($"{bad}:1:1: warning: version: 'version' is ignored: the Compose file version is obsolete and ignored; remove it", lines[0]);
        Assert.StartsWith($"{bad}:7:9: error: services.gitlab.ports[1]: '10022:22:tcp' is not a port mapping", lines[1]);
        Assert.Contains($"{good}: valid, 1 service(s), 0 warning(s)", stderr);
        Assert.Contains($"{bad}: 1 error(s), 1 warning(s)", stderr);
    }

    [Fact]
    public async Task Validate_PackagedGitlabStack_ExitsZero()
    {
        string repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "Appliance.sln")))
        {
            repo = Path.GetDirectoryName(repo)!;
        }
        (int exitCode, string stdout, string _) = await RunAsync("stack", "validate", Path.Combine(repo, "stacks", "gitlab", "stack.yaml"));
        Assert.Equal(0, exitCode);
        Assert.Equal("", stdout);
    }
}
