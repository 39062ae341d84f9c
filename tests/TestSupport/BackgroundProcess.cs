using System.Diagnostics;
using System.Text;

namespace Appliance.TestSupport;

/// <summary>A process a test started (in a namespace of its box); killed with its children in teardown.</summary>
public sealed class BackgroundProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    internal BackgroundProcess(string description, ProcessStartInfo psi)
    {
        Description = description;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Description { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything it printed so far, stdout and stderr interleaved by line.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken = default) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>Polls its output until <paramref name="text"/> appears or the deadline passes.</summary>
    public Task WaitForOutputAsync(string text, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Poll.UntilAsync(() => Output.Contains(text, StringComparison.Ordinal), timeout,
            () => $"'{Description}' did not print '{text}'. Output so far:\n{Output}", cancellationToken);

    public void Signal(int signal) => Tmds.Linux.LibC.kill(_process.Id, signal);

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(cts.Token);
            }
        }
        catch (InvalidOperationException)
        {
            // never started or already reaped
        }
        _process.Dispose();
    }
}
