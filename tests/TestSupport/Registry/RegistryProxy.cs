using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Appliance.TestSupport.Registry;

/// <summary>
/// An HTTP proxy on 127.0.0.1 in front of a <see cref="LocalRegistry"/>, to give it behaviour a
/// test needs: Docker Hub style bearer tokens (a token endpoint at /token, optionally behind
/// basic auth), one flipped byte in a chosen blob, or a blob cut off mid-way once. Counts the
/// blob requests it forwards. Stopped (listener closed) by <see cref="DisposeAsync"/>.
/// </summary>
public sealed class RegistryProxy : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromMinutes(2) };
    private readonly Uri _target;
    private readonly ConcurrentDictionary<string, bool> _tokens = new();
    private readonly ConcurrentQueue<string> _blobRequests = new();
    private readonly Task _loop;
    private int _interruptions;

    public RegistryProxy(LocalRegistry registry)
    {
        _target = registry.BaseUri;
        for (int attempt = 0; ; attempt++)
        {
            Port = FreePort();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 3)
            {
            }
        }
        _loop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    public string Host => $"127.0.0.1:{Port}";

    public string Reference(string repository, string tag = "latest") => $"{Host}/{repository}:{tag}";

    /// <summary>Every /v2 request needs "Authorization: Bearer T" with T from /token.</summary>
    public bool RequireBearer { get; set; }

    /// <summary>When set, /token wants these in basic auth ("user:password").</summary>
    public string? TokenCredentials { get; set; }

    /// <summary>Flip one byte (at <see cref="CorruptOffset"/>) of this blob on the way through.</summary>
    public string? CorruptBlob { get; set; }

    public long CorruptOffset { get; set; } = 100;

    /// <summary>Cut this blob's body off after <see cref="InterruptAfterBytes"/> bytes, <see cref="InterruptTimes"/> times.</summary>
    public string? InterruptBlob { get; set; }

    public long InterruptAfterBytes { get; set; } = 64 * 1024;

    public int InterruptTimes { get; set; } = 1;

    public int Interruptions => _interruptions;

    /// <summary>Send this blob's first <see cref="InterruptAfterBytes"/> bytes, then nothing (the connection stays open until disposal).</summary>
    public string? StallBlob { get; set; }

    private readonly CancellationTokenSource _stopping = new();

    public IReadOnlyList<string> BlobRequests => _blobRequests.ToArray();

    public int TokensIssued => _tokens.Count;

    private async Task AcceptLoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        HttpListenerRequest request = context.Request;
        HttpListenerResponse response = context.Response;
        try
        {
            string path = request.Url!.AbsolutePath;
            if (path == "/token")
            {
                await TokenAsync(context);
                return;
            }
            if (RequireBearer && !HasValidToken(request))
            {
                string repository = path.StartsWith("/v2/", StringComparison.Ordinal) && path.Contains("/manifests/") | path.Contains("/blobs/")
                    ? path[4..path.IndexOf(path.Contains("/manifests/") ? "/manifests/" : "/blobs/", StringComparison.Ordinal)]
                    : "";
                response.StatusCode = 401;
                response.AddHeader("WWW-Authenticate",
                    $"Bearer realm=\"http://{Host}/token\",service=\"appliance-test\"{(repository.Length > 0 ? $",scope=\"repository:{repository}:pull\"" : "")}");
                response.Close();
                return;
            }
            await ForwardAsync(context, path);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or HttpRequestException)
        {
            try
            {
                response.Abort();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private async Task TokenAsync(HttpListenerContext context)
    {
        if (TokenCredentials is not null)
        {
            string expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(TokenCredentials));
            if (context.Request.Headers["Authorization"] != expected)
            {
                context.Response.StatusCode = 401;
                context.Response.AddHeader("WWW-Authenticate", "Basic realm=\"appliance-test-token\"");
                context.Response.Close();
                return;
            }
        }
        string token = "tok-" + Guid.NewGuid().ToString("N");
        _tokens[token] = true;
        byte[] body = Encoding.UTF8.GetBytes($"{{\"token\":\"{token}\",\"expires_in\":300}}");
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = body.Length;
        await context.Response.OutputStream.WriteAsync(body);
        context.Response.Close();
    }

    private bool HasValidToken(HttpListenerRequest request)
    {
        string? header = request.Headers["Authorization"];
        return header is not null && header.StartsWith("Bearer ", StringComparison.Ordinal) && _tokens.ContainsKey(header[7..]);
    }

    private async Task ForwardAsync(HttpListenerContext context, string path)
    {
        using var upstreamRequest = new HttpRequestMessage(new HttpMethod(context.Request.HttpMethod), new Uri(_target, context.Request.Url!.PathAndQuery));
        foreach (string? name in context.Request.Headers.AllKeys)
        {
            if (name is "Accept")
            {
                upstreamRequest.Headers.TryAddWithoutValidation(name, context.Request.Headers.GetValues(name)!);
            }
        }
        using HttpResponseMessage upstream = await _upstream.SendAsync(upstreamRequest, HttpCompletionOption.ResponseHeadersRead);
        HttpListenerResponse response = context.Response;
        response.StatusCode = (int)upstream.StatusCode;
        foreach ((string name, IEnumerable<string> values) in upstream.Headers.Concat(upstream.Content.Headers))
        {
            if (name is "Content-Type" or "Docker-Content-Digest" or "Docker-Distribution-Api-Version" or "WWW-Authenticate" or "Location")
            {
                response.AddHeader(name, string.Join(",", values));
            }
        }
        if (upstream.Content.Headers.ContentLength is long length)
        {
            response.ContentLength64 = length;
        }
        string? blob = path.Contains("/blobs/", StringComparison.Ordinal) ? path[(path.LastIndexOf('/') + 1)..] : null;
        if (blob is not null && context.Request.HttpMethod == "GET")
        {
            _blobRequests.Enqueue(blob);
        }
        bool corrupt = blob is not null && blob == CorruptBlob;
        bool interrupt = blob is not null && blob == InterruptBlob && Interlocked.Increment(ref _interruptions) <= InterruptTimes;
        bool stall = blob is not null && blob == StallBlob;
        await using Stream body = await upstream.Content.ReadAsStreamAsync();
        byte[] buffer = new byte[16384];
        long sent = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            if (corrupt && CorruptOffset >= sent && CorruptOffset < sent + read)
            {
                buffer[CorruptOffset - sent] ^= 0xff;
            }
            if (stall && sent + read > InterruptAfterBytes)
            {
                await response.OutputStream.WriteAsync(buffer.AsMemory(0, (int)Math.Max(0, InterruptAfterBytes - sent)));
                await response.OutputStream.FlushAsync();
                try
                {
                    await Task.Delay(Timeout.Infinite, _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                }
                response.Abort();
                return;
            }
            if (interrupt && sent + read > InterruptAfterBytes)
            {
                int part = (int)(InterruptAfterBytes - sent);
                await response.OutputStream.WriteAsync(buffer.AsMemory(0, Math.Max(0, part)));
                await response.OutputStream.FlushAsync();
                response.Abort(); // the connection drops mid-body
                return;
            }
            await response.OutputStream.WriteAsync(buffer.AsMemory(0, read));
            sent += read;
        }
        response.Close();
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }
        _upstream.Dispose();
        _stopping.Dispose();
    }
}
