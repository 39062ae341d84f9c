using System.Net.Http.Json;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Appliance.Web.Hosting;

namespace Appliance.Web.Ui.Bridge;

/// <summary>
/// The UI process's connection to the daemon's UI bridge (<see cref="UiBridgeApi"/>): HTTP over the root-only unix socket
/// (<see cref="UnixSocketConnector"/>), JSON of <see cref="DaemonJson"/>. Every failure is a <see cref="DaemonBridgeException"/>:
/// <see cref="DaemonUnreachableException"/> without a (complete) answer, <see cref="DaemonBridgeRequestException"/> with an
/// error status.
/// </summary>
public sealed class DaemonBridgeClient : IDisposable
{
    private readonly HttpClient _http;

    public DaemonBridgeClient(string socketPath)
    {
        SocketPath = socketPath;
        SocketsHttpHandler handler = UnixSocketConnector.CreateHandler(socketPath);
        // A stream the UI stops reading (its page went away) closes its connection at once, so the daemon stops producing
        // it; by default the handler would first drain it to reuse the connection.
        handler.MaxResponseDrainSize = 0;
        // No timeout of its own: a deploy takes minutes and a watch lasts as long as its page; the callers' tokens end them.
        _http = new HttpClient(handler) { BaseAddress = UnixSocketConnector.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
    }

    public string SocketPath { get; }

    /// <summary>GET <paramref name="path"/> (under <see cref="UiBridgeApi.Prefix"/>); the answer must not be JSON null.</summary>
    public async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken = default) where T : notnull =>
        await FindAsync<T>(path, cancellationToken) ?? throw NullAnswer(HttpMethod.Get, path);

    /// <summary>GET <paramref name="path"/>, whose answer is JSON null when there is nothing.</summary>
    public async Task<T?> FindAsync<T>(string path, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, UiBridgeApi.Prefix + path), cancellationToken);
        return await ReadAsync(response, JsonBody.TypeInfo<T>(), HttpMethod.Get, path, cancellationToken);
    }

    /// <summary>Sends <paramref name="body"/> as JSON and reads the answer, which must not be JSON null.</summary>
    public async Task<TResult> SendAsync<TBody, TResult>(HttpMethod method, string path, TBody body, CancellationToken cancellationToken = default)
        where TResult : notnull
    {
        using HttpResponseMessage response = await SendAsync(Request(method, path, body), cancellationToken);
        return await ReadAsync(response, JsonBody.TypeInfo<TResult>(), method, path, cancellationToken) ?? throw NullAnswer(method, path);
    }

    /// <summary>Sends <paramref name="body"/> (none when null) for an answer without content.</summary>
    public async Task SendAsync<TBody>(HttpMethod method, string path, TBody? body, CancellationToken cancellationToken = default) where TBody : class
    {
        using HttpResponseMessage response = await SendAsync(body is null ? new HttpRequestMessage(method, UiBridgeApi.Prefix + path) : Request(method, path, body),
            cancellationToken);
    }

    /// <summary>DELETE <paramref name="path"/> and read the answer.</summary>
    public async Task<TResult> DeleteAsync<TResult>(string path, CancellationToken cancellationToken = default) where TResult : notnull
    {
        using HttpResponseMessage response = await SendAsync(new HttpRequestMessage(HttpMethod.Delete, UiBridgeApi.Prefix + path), cancellationToken);
        return await ReadAsync(response, JsonBody.TypeInfo<TResult>(), HttpMethod.Delete, path, cancellationToken) ?? throw NullAnswer(HttpMethod.Delete, path);
    }

    /// <summary>
    /// The newline-delimited JSON stream of <paramref name="path"/>, item by item as the daemon flushes them, until it ends
    /// it or <paramref name="cancellationToken"/> is cancelled (which closes the connection: the daemon stops too).
    /// </summary>
    public async IAsyncEnumerable<T> StreamAsync<T>(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, UiBridgeApi.Prefix + path);
        using HttpResponseMessage response = await SendAsync(request, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        JsonTypeInfo<T> info = JsonBody.TypeInfo<T>();
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellationToken);
            }
            catch (IOException e) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("the stream was cancelled", e, cancellationToken);
            }
            catch (IOException e)
            {
                throw new DaemonUnreachableException(SocketPath, $"the stream {path} broke off: {e.Message}", e);
            }
            if (line is null)
            {
                yield break;
            }
            if (line.Length > 0)
            {
                yield return Parse(line, info, HttpMethod.Get, path);
            }
        }
    }

    /// <summary><paramref name="path"/> with the query's non-null values, escaped.</summary>
    public static string WithQuery(string path, params ReadOnlySpan<(string Key, string? Value)> query)
    {
        var text = new System.Text.StringBuilder(path);
        char separator = '?';
        foreach ((string key, string? value) in query)
        {
            if (value is not null)
            {
                text.Append(separator).Append(key).Append('=').Append(Uri.EscapeDataString(value));
                separator = '&';
            }
        }
        return text.ToString();
    }

    public void Dispose() => _http.Dispose();

    private static HttpRequestMessage Request<TBody>(HttpMethod method, string path, TBody body) =>
        new(method, UiBridgeApi.Prefix + path) { Content = JsonContent.Create(body, JsonBody.TypeInfo<TBody>()) };

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new DaemonUnreachableException(SocketPath, e.InnerException is SocketException socket ? socket.Message : e.Message, e);
        }
        finally
        {
            request.Dispose();
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            throw await RefusedAsync(request, response, cancellationToken);
        }
    }

    private async Task<DaemonBridgeRequestException> RefusedAsync(HttpRequestMessage request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string what = $"{request.Method} {request.RequestUri?.OriginalString}";
        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        int status = (int)response.StatusCode;
        string message = ErrorOf(body) is { } error
            ? error.Error + (error.Details is { Count: > 0 } details ? ": " + string.Join("; ", details) : "")
            : $"the daemon answered {what} with {status} {response.ReasonPhrase}" + (body.Length > 0 ? $": {body.Trim()}" : "") +
              (status == StatusCodes.Status404NotFound ? " (is the daemon older than this UI? restart it: `systemctl restart appliance`)" : "");
        return new DaemonBridgeRequestException(SocketPath, what, status, message);
    }

    /// <summary>The daemon's <see cref="ErrorResponse"/> in <paramref name="body"/>, or null when it is something else (a bare status).</summary>
    private static ErrorResponse? ErrorOf(string body)
    {
        if (body.Length == 0 || body[0] != '{')
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(body, JsonBody.TypeInfo<ErrorResponse>());
        }
        catch (JsonException)
        {
            return null; // not the daemon's error shape: the caller quotes the body as text instead
        }
    }

    private async Task<T?> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> info, HttpMethod method, string path, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new DaemonUnreachableException(SocketPath, $"the answer to {method} {path} broke off: {e.Message}", e);
        }
        return Parse(text, info, method, path);
    }

    private T Parse<T>(string json, JsonTypeInfo<T> info, HttpMethod method, string path)
    {
        try
        {
            return JsonSerializer.Deserialize(json, info)!;
        }
        catch (JsonException e)
        {
            // Daemon and UI are the same build; a mismatch means one of them was replaced and not restarted.
            throw new DaemonBridgeRequestException(SocketPath, $"{method} {UiBridgeApi.Prefix}{path}", StatusCodes.Status502BadGateway,
                $"the daemon's answer to {method} {UiBridgeApi.Prefix}{path} is not what this UI reads ({e.Message}); restart both: `systemctl restart appliance`");
        }
    }

    private DaemonBridgeRequestException NullAnswer(HttpMethod method, string path) => new(SocketPath, $"{method} {UiBridgeApi.Prefix}{path}",
        StatusCodes.Status502BadGateway, $"the daemon answered {method} {UiBridgeApi.Prefix}{path} with nothing (JSON null)");
}
