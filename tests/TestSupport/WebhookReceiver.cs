using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Appliance.TestSupport;

/// <summary>
/// A webhook endpoint for tests on 127.0.0.1 (a port of its own): records the body of every POST and answers
/// <see cref="Status"/>. Plain HTTP/1.1 over a TcpListener, one request per connection.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _bodies = [];
    private readonly Task _loop;

    public WebhookReceiver()
    {
        _listener.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hook";
        _loop = AcceptAsync();
    }

    public string Url { get; }

    /// <summary>What the receiver answers, e.g. 500 to play a broken webhook.</summary>
    public int Status { get; set; } = 200;

    public IReadOnlyList<string> Bodies
    {
        get
        {
            lock (_bodies)
            {
                return [.. _bodies];
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                var head = new StringBuilder();
                var one = new byte[1];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(one, _stop.Token) == 1)
                {
                    head.Append((char)one[0]);
                }
                int length = head.ToString().Split("\r\n").Where(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                    .Select(h => int.Parse(h["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
                var body = new byte[length];
                await stream.ReadExactlyAsync(body, _stop.Token);
                lock (_bodies)
                {
                    _bodies.Add(Encoding.UTF8.GetString(body));
                }
                string reason = Status == 200 ? "OK" : "Error";
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {Status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), _stop.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
                // the client went away, or the receiver stops
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
