using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Appliance.Netfilter.Linux;
using Appliance.Orchestrator.Reconcile;

namespace Appliance.Orchestrator.Health;

/// <summary>
/// The real probes: exec runs the check command inside the container (<see cref="IStackRuntime.ExecAsync"/>; exit 0 passes);
/// tcp connects to the container's address and port; http sends <c>GET path</c> and passes on 2xx/3xx. TCP and HTTP sockets
/// are opened in the network namespace the daemon manages (the one the containers' bridge lives in). Each run is bounded by
/// the check's timeout; a timeout is a failure.
/// </summary>
public sealed class ContainerProbe(IStackRuntime runtime, NetworkNamespace? networkNamespace = null, TimeProvider? timeProvider = null) : IHealthProbe
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public async Task<ProbeResult> RunAsync(string stack, ObservedService container, HealthCheckSpec spec, CancellationToken cancellationToken = default)
    {
        DateTimeOffset start = _time.GetUtcNow();
        long started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(spec.Timeout);
        try
        {
            (bool passed, string output, int? exitCode) = spec.Kind switch
            {
                ProbeKind.Exec => await ExecAsync(stack, container, spec, timeout.Token),
                ProbeKind.Tcp => await TcpAsync(container, spec, timeout.Token),
                ProbeKind.Http => await HttpAsync(container, spec, timeout.Token),
                _ => (false, $"unknown probe kind {spec.Kind}", null),
            };
            return new ProbeResult(passed, start, Stopwatch.GetElapsedTime(started), output, exitCode);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ProbeResult(false, start, Stopwatch.GetElapsedTime(started), $"timed out after {spec.Timeout.TotalSeconds:0.#} s");
        }
        catch (Exception e) when (e is SocketException or IOException or NamespaceException or InvalidOperationException)
        {
            return new ProbeResult(false, start, Stopwatch.GetElapsedTime(started), e.Message);
        }
    }

    private async Task<(bool, string, int?)> ExecAsync(string stack, ObservedService container, HealthCheckSpec spec, CancellationToken cancellationToken)
    {
        ExecResult result = await runtime.ExecAsync(stack, container.Service, spec.Command, spec.Timeout, cancellationToken);
        return (result.ExitCode == 0, result.Output, result.ExitCode);
    }

    private async Task<(bool, string, int?)> TcpAsync(ObservedService container, HealthCheckSpec spec, CancellationToken cancellationToken)
    {
        using Socket socket = await ConnectAsync(container, spec, cancellationToken);
        return (true, $"connected to {container.Address}:{spec.Port}", null);
    }

    private async Task<(bool, string, int?)> HttpAsync(ObservedService container, HealthCheckSpec spec, CancellationToken cancellationToken)
    {
        using Socket socket = await ConnectAsync(container, spec, cancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        string request = $"GET {spec.Path} HTTP/1.1\r\nHost: {container.Address}:{spec.Port}\r\nUser-Agent: appliance-health\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), cancellationToken);
        byte[] buffer = new byte[512];
        int read = await stream.ReadAtLeastAsync(buffer, 12, throwOnEndOfStream: false, cancellationToken);
        string head = Encoding.ASCII.GetString(buffer, 0, read);
        string statusLine = head.Split("\r\n")[0];
        string[] parts = statusLine.Split(' ');
        bool passed = parts.Length >= 2 && parts[0].StartsWith("HTTP/", StringComparison.Ordinal) && parts[1].Length == 3 && parts[1][0] is '2' or '3';
        return (passed, statusLine, null);
    }

    private async Task<Socket> ConnectAsync(ObservedService container, HealthCheckSpec spec, CancellationToken cancellationToken)
    {
        if (!IPAddress.TryParse(container.Address, out IPAddress? address))
        {
            throw new InvalidOperationException($"container of '{container.Service}' has no address to probe");
        }
        Socket socket = networkNamespace is null || networkNamespace.IsCurrent
            ? new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : await networkNamespace.RunAsync(() => new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp), cancellationToken);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, spec.Port), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
