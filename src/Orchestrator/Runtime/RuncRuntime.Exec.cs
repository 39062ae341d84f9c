namespace Appliance.Orchestrator.Runtime;

public sealed partial class RuncRuntime
{
    public async Task<ExecResult> ExecAsync(string id, IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (argv.Count == 0)
        {
            throw new ArgumentException("exec needs a command", nameof(argv));
        }
        string bundle = BundleOf(id);
        if (!Directory.Exists(bundle))
        {
            throw new ContainerNotFoundException(id);
        }
        Directory.CreateDirectory(_options.ExecDirectory);
        string pidFile = Path.Combine(_options.ExecDirectory, $"{id}-{Guid.NewGuid():N}.pid");
        try
        {
            ToolRunner.Result result = await ToolRunner.RunAsync(_options.RuncPath,
                ["--root", _options.RuncRoot, "exec", "--pid-file", pidFile, id, .. argv],
                _options.ToolEnvironment, timeout, cancellationToken,
                onTimeout: runcExec =>
                {
                    // Kill the command itself inside the container, then runc exec ends with it.
                    if (ReadPid(pidFile) is int pid)
                    {
                        Tmds.Linux.LibC.kill(pid, 9);
                    }
                    runcExec.Kill(entireProcessTree: true);
                });
            if (result.TimedOut)
            {
                return new ExecResult(-1, result.Stdout, result.Stderr, TimedOut: true);
            }
            if (result.ExitCode != 0 && result.Stderr.Contains("level=error", StringComparison.Ordinal))
            {
                // runc itself failed (container not running, no such binary): not the command's exit code.
                ThrowFor("runc exec", id, result);
            }
            return new ExecResult(result.ExitCode, result.Stdout, result.Stderr);
        }
        finally
        {
            File.Delete(pidFile);
        }
    }
}
