using System.Diagnostics;
using System.Net.Sockets;

namespace Appliance.Web.Hosting;

/// <summary>
/// The web UI's own process (<c>appliance ui</c>, Blazor Server, JIT-compiled), which the daemon starts on the first request
/// for a page and stops when nobody used it for <see cref="DaemonOptions.UiIdleTimeout"/>: a NAS is mostly left alone, and an
/// idle daemon then holds neither the UI's memory nor its start-up (docs/performance.md, Daemon). It listens on a root-only
/// unix socket beside the daemon's and reaches the daemon through the daemon's (Ui/Bridge); <see cref="UiProxy"/> forwards
/// the requests. Its standard input is a pipe from the daemon: when the daemon exits, even killed, the UI reads the end of it
/// and stops too.
/// </summary>
internal sealed partial class UiProcess : IAsyncDisposable
{
    /// <summary>How long a start may take before the waiting requests get an error page instead.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    private readonly IReadOnlyList<string>? _program;
    private readonly IReadOnlyList<string> _arguments;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly TimeSpan _idleTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Task<Process>? _started;
    private Task _stopped = Task.CompletedTask;
    private int _active;
    private long _lastUsed;
    private ITimer? _idleCheck;
    private bool _disposed;

    /// <param name="program">The UI program and the arguments before its verb (null: this installation has none).</param>
    /// <param name="socketPath">Where the UI listens.</param>
    /// <param name="daemon">How the daemon was started (its socket, state directory, idle timeout).</param>
    /// <param name="configuration">The daemon's "Appliance" settings, handed to the UI as environment (Appliance__NAME).</param>
    public UiProcess(IReadOnlyList<string>? program, string socketPath, DaemonOptions daemon, IEnumerable<KeyValuePair<string, string?>> configuration,
        TimeProvider time, ILogger logger)
    {
        _program = program;
        SocketPath = socketPath;
        _arguments = ["ui", "--socket", socketPath, "--daemon-socket", daemon.SocketPath, "--state-dir", daemon.StateDir, "--stop-at-end-of-input"];
        _environment = configuration.Where(setting => setting.Value is not null)
            .ToDictionary(setting => setting.Key.Replace(":", "__", StringComparison.Ordinal), setting => setting.Value!);
        _idleTimeout = daemon.UiIdleTimeout;
        _time = time;
        _logger = logger;
    }

    /// <summary>The UI's unix socket.</summary>
    public string SocketPath { get; }

    /// <summary>
    /// The UI program: this one when it was built with the UI (<see cref="WebUiFeature.IsSupported"/>), run the way it was run;
    /// else <c>ui/appliance</c> beside it, where install.sh puts the UI beside a daemon compiled ahead of time. Null when neither is there.
    /// </summary>
    public static IReadOnlyList<string>? FindProgram()
    {
        if (WebUiFeature.IsSupported && Environment.ProcessPath is { } self)
        {
            // `dotnet appliance.dll` (a build folder, the tests) runs the assembly; an apphost is the program itself.
            return Path.GetFileNameWithoutExtension(self) == "dotnet" ? [self, Path.Combine(AppContext.BaseDirectory, "appliance.dll")] : [self];
        }
        return File.Exists(ExpectedProgram) ? [ExpectedProgram] : null;
    }

    /// <summary>Where the UI program is beside a daemon built without it (install.sh's layout).</summary>
    public static string ExpectedProgram => Path.Combine(AppContext.BaseDirectory, "ui", "appliance");

    /// <summary>
    /// Holds the UI up for one request (or one WebSocket, as long as it is open): starts it if it is not running and waits until
    /// it listens. Dispose the lease when the request is done; the idle clock starts when the last lease is gone.
    /// </summary>
    public async Task<Lease> EnterAsync(CancellationToken cancellationToken)
    {
        Task<Process> started;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started is { IsCompletedSuccessfully: true } && _started.Result.HasExited)
            {
                _started.Result.Dispose(); // died (Exited logged it): a new one below
                _started = null;
            }
            if (_started is null || _started.IsFaulted || _started.IsCanceled)
            {
                _started = StartAsync(_stopped);
            }
            started = _started;
            _active++;
        }
        var lease = new Lease(this);
        try
        {
            await started.WaitAsync(cancellationToken);
            return lease;
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    private void Leave()
    {
        lock (_lock)
        {
            _active--;
            _lastUsed = _time.GetTimestamp();
        }
    }

    /// <param name="stopped">The stop of the UI before, if one is under way: it removes the socket when it is done.</param>
    private async Task<Process> StartAsync(Task stopped)
    {
        await stopped;
        if (_program is null)
        {
            throw new UiUnavailableException($"the web UI is not installed: the daemon looks for it at {ExpectedProgram} (install.sh puts it there)");
        }
        File.Delete(SocketPath);
        var start = new ProcessStartInfo(_program[0]) { UseShellExecute = false, RedirectStandardInput = true };
        foreach (string argument in _program.Skip(1).Concat(_arguments))
        {
            start.ArgumentList.Add(argument);
        }
        foreach ((string name, string value) in _environment)
        {
            start.Environment[name] = value;
        }
        long began = _time.GetTimestamp();
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new UiUnavailableException($"the web UI ({_program[0]}) did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new UiUnavailableException($"the web UI ({_program[0]}) cannot be started: {e.Message}");
        }
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => Exited(process);
        try
        {
            await WaitListeningAsync(process);
        }
        catch
        {
            await StopAsync(process);
            throw;
        }
        LogStarted(_logger, process.Id, (long)_time.GetElapsedTime(began).TotalMilliseconds);
        lock (_lock)
        {
            _lastUsed = _time.GetTimestamp();
            TimeSpan period = TimeSpan.FromTicks(Math.Clamp(_idleTimeout.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(30).Ticks));
            _idleCheck ??= _time.CreateTimer(_ => StopIfIdle(), null, period, period);
        }
        return process;
    }

    /// <summary>Until the UI accepts a connection on its socket; fails when it exits first or takes longer than <see cref="StartTimeout"/>.</summary>
    private async Task WaitListeningAsync(Process process)
    {
        using var deadline = new CancellationTokenSource(StartTimeout, _time);
        while (true)
        {
            if (process.HasExited)
            {
                throw new UiUnavailableException($"the web UI exited with code {process.ExitCode} while starting; its log is in the daemon's (journalctl -u appliance)");
            }
            if (File.Exists(SocketPath))
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), deadline.Token);
                    return;
                }
                catch (SocketException)
                {
                    // the file is there before Kestrel accepts on it
                }
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), _time, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new UiUnavailableException($"the web UI did not start within {StartTimeout.TotalSeconds:0} s; its log is in the daemon's (journalctl -u appliance)");
            }
        }
    }

    private void Exited(Process process)
    {
        lock (_lock)
        {
            if (_started is not { IsCompletedSuccessfully: true } started || started.Result != process || _disposed)
            {
                return;
            }
        }
        // Not asked to: the next request starts it again.
        LogExited(_logger, process.Id, process.ExitCode);
    }

    private void StopIfIdle()
    {
        lock (_lock)
        {
            if (_active > 0 || _started is not { IsCompletedSuccessfully: true } started || _time.GetElapsedTime(_lastUsed) < _idleTimeout)
            {
                return;
            }
            _started = null;
            _idleCheck?.Dispose();
            _idleCheck = null;
            Process process = started.Result;
            if (!process.HasExited)
            {
                LogIdleStop(_logger, process.Id, (int)_idleTimeout.TotalSeconds);
            }
            // The next start waits for this one to be done: the socket file is removed at its end.
            _stopped = StopAsync(process);
        }
    }

    /// <summary>Closes the UI's input (it stops by itself, finishing its requests), then kills it if it is still there after <see cref="StopGrace"/>.</summary>
    private async Task StopAsync(Process process)
    {
        try
        {
            try
            {
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // it is gone already
            }
            using var grace = new CancellationTokenSource(StopGrace, _time);
            await process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
        finally
        {
            process.Dispose();
            File.Delete(SocketPath);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task<Process>? started;
        Task stopped;
        lock (_lock)
        {
            _disposed = true;
            started = _started;
            stopped = _stopped;
            _started = null;
            _idleCheck?.Dispose();
            _idleCheck = null;
        }
        await stopped;
        if (started is not null && await started.ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default))
        {
            await StopAsync(started.Result);
        }
    }

    /// <summary>One request's hold on the UI.</summary>
    public sealed class Lease(UiProcess owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Leave();
            }
        }
    }

    [LoggerMessage(EventId = 9101, Level = LogLevel.Information, Message = "Web UI started (pid {Pid}) in {Ms} ms")]
    private static partial void LogStarted(ILogger logger, int pid, long ms);

    [LoggerMessage(EventId = 9102, Level = LogLevel.Warning, Message = "The web UI (pid {Pid}) exited with code {ExitCode}; the next request starts it again")]
    private static partial void LogExited(ILogger logger, int pid, int exitCode);

    [LoggerMessage(EventId = 9103, Level = LogLevel.Information, Message = "Web UI (pid {Pid}) stopped: no request for {Seconds} s")]
    private static partial void LogIdleStop(ILogger logger, int pid, int seconds);
}

/// <summary>The web UI cannot serve: not installed, failed to start, or exited while starting. The message says which.</summary>
internal sealed class UiUnavailableException(string message) : Exception(message);
