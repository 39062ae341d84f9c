using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace Appliance.Orchestrator.Runtime;

public sealed partial class RuncRuntime
{
    /// <summary>
    /// Starts conmon for a bundle. conmon forks, calls setsid and daemonizes (so it and the
    /// container outlive us), runs <c>runc create</c>, and reports the container's pid (or runc's
    /// error) on the sync pipe named by <c>_OCI_SYNCPIPE</c>, as it does for Podman.
    /// </summary>
    private async Task StartConmonAsync(string id, string bundle, CancellationToken cancellationToken)
    {
        (SafeFileHandle read, int writeFd) = CreateSyncPipe();
        using (read)
        {
            var psi = new ProcessStartInfo(_options.ConmonPath)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (string arg in (string[])[
                "--api-version", "1",
                "-c", id, "-u", id, "-n", id,
                "-r", _options.RuncPath,
                "--runtime-arg", "--root", "--runtime-arg", _options.RuncRoot,
                "-b", bundle,
                "-p", Path.Combine(bundle, PidFileName),
                "--conmon-pidfile", Path.Combine(bundle, ConmonPidFileName),
                "-l", "k8s-file:" + Path.Combine(bundle, LogFileName),
                "--log-size-max", ReadLogLimits(bundle).MaxSizeBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--exit-dir", Path.Combine(bundle, "exit"),
                "--socket-dir-path", _options.SocketDirectory,
                "--log-level", "error",
                "--syslog",
            ])
            {
                psi.ArgumentList.Add(arg);
            }
            foreach ((string key, string value) in _options.ToolEnvironment)
            {
                psi.Environment[key] = value;
            }
            psi.Environment["_OCI_SYNCPIPE"] = writeFd.ToString(System.Globalization.CultureInfo.InvariantCulture);

            Process conmon;
            try
            {
                conmon = Process.Start(psi) ?? throw new InvalidOperationException("Process.Start returned null");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new RuntimeCommandException("conmon", id, -1, $"cannot run '{_options.ConmonPath}': {e.Message}; install conmon or set its path");
            }
            finally
            {
                Tmds.Linux.LibC.close(writeFd);
            }
            using (conmon)
            {
                conmon.StandardInput.Close();
                Task<string> stderr = conmon.StandardError.ReadToEndAsync(CancellationToken.None);
                Task<string> stdout = conmon.StandardOutput.ReadToEndAsync(CancellationToken.None);
                string message = await ReadSyncMessageAsync(read, id, cancellationToken);
                await conmon.WaitForExitAsync(cancellationToken);
                if (conmon.ExitCode != 0)
                {
                    throw new RuntimeCommandException("conmon", id, conmon.ExitCode, (await stderr) + (await stdout) + message);
                }
                ParseSyncMessage(id, message);
            }
        }
    }

    private async Task<string> ReadSyncMessageAsync(SafeFileHandle read, string id, CancellationToken cancellationToken)
    {
        using var stream = new FileStream(read, FileAccess.Read, 1, isAsync: false);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(_options.CreateTimeout);
        // A blocking pipe read on a pool thread; the timeout stops waiting (conmon then gets removed by the caller).
        Task<string> reading = Task.Run(() =>
        {
            var text = new StringBuilder();
            var buffer = new byte[4096];
            int n;
            while ((n = stream.Read(buffer)) > 0)
            {
                text.Append(Encoding.UTF8.GetString(buffer, 0, n));
                if (text.ToString().Contains('\n'))
                {
                    break;
                }
            }
            return text.ToString();
        }, CancellationToken.None);
        try
        {
            return await reading.WaitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RuntimeCommandException("create", id, -1, $"conmon did not report within {_options.CreateTimeout.TotalSeconds:0} s");
        }
    }

    private static void ParseSyncMessage(string id, string message)
    {
        string line = message.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        if (line.Length == 0)
        {
            throw new RuntimeCommandException("create", id, -1, "conmon ended without reporting the container (is conmon's runtime path right?)");
        }
        using JsonDocument doc = JsonDocument.Parse(line);
        JsonElement root = doc.RootElement;
        int pid = root.TryGetProperty("data", out JsonElement d) ? d.GetInt32()
            : root.TryGetProperty("pid", out JsonElement p) ? p.GetInt32() : -1;
        if (pid <= 0)
        {
            string why = root.TryGetProperty("message", out JsonElement m) ? m.GetString() ?? line : line;
            throw new RuntimeCommandException("runc create", id, -1, RuncMessage(why));
        }
    }

    /// <summary>A pipe whose read end is ours (close-on-exec) and whose write end conmon inherits.</summary>
    private static unsafe (SafeFileHandle Read, int WriteFd) CreateSyncPipe()
    {
        const int O_CLOEXEC = 0x80000;
        const int F_SETFD = 2;
        int* fds = stackalloc int[2];
        if (Tmds.Linux.LibC.pipe2(fds, O_CLOEXEC) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"pipe2 for conmon's sync pipe failed: errno {errno}");
        }
        if (Tmds.Linux.LibC.fcntl(fds[1], F_SETFD, 0) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Tmds.Linux.LibC.close(fds[0]);
            Tmds.Linux.LibC.close(fds[1]);
            throw new IOException($"fcntl(F_SETFD) on conmon's sync pipe failed: errno {errno}");
        }
        return (new SafeFileHandle(fds[0], ownsHandle: true), fds[1]);
    }
}
