using System.Diagnostics;
using System.Text;

namespace Appliance.TestSupport;

/// <summary>The result of a finished command.</summary>
public sealed record CommandResult(string Command, int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    public CommandResult EnsureSuccess() => Succeeded
        ? this
        : throw new InvalidOperationException($"`{Command}` exited {ExitCode}: {Stderr.Trim()} {Stdout.Trim()}".Trim());
}

/// <summary>Runs tools (ip, nft, skopeo, runc, ...) for test set-up and for comparisons. Product code never does this.</summary>
public static class Command
{
    public static async Task<CommandResult> RunAsync(IReadOnlyList<string> argv, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null, string? stdin = null, CancellationToken cancellationToken = default)
    {
        var psi = new ProcessStartInfo(argv[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (string arg in argv.Skip(1))
        {
            psi.ArgumentList.Add(arg);
        }
        if (environment is not null)
        {
            foreach ((string key, string value) in environment)
            {
                psi.Environment[key] = value;
            }
        }
        string text = string.Join(' ', argv);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start `{text}`");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        Task outTask = PumpAsync(process.StandardOutput, stdout);
        Task errTask = PumpAsync(process.StandardError, stderr);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{text}` did not finish within {timeout ?? TimeSpan.FromMinutes(2)}");
        }
        await Task.WhenAll(outTask, errTask);
        return new CommandResult(text, process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    public static Task<CommandResult> RunAsync(params string[] argv) => RunAsync(argv, null);

    /// <summary>Runs and throws with the command's stderr if it fails.</summary>
    public static async Task<CommandResult> CheckAsync(params string[] argv) => (await RunAsync(argv, null)).EnsureSuccess();

    private static async Task PumpAsync(StreamReader reader, StringBuilder sink)
    {
        char[] buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            lock (sink)
            {
                sink.Append(buffer, 0, read);
            }
        }
    }
}
