using System.Net.Http.Json;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Appliance.Web.Hosting;

namespace Appliance.Web.Cli;

/// <summary>
/// The CLI's connection to the daemon: HTTP over the root-only unix socket (<see cref="DaemonOptions.DefaultSocketPath"/>,
/// or <c>APPLIANCE_SOCKET</c>, or <c>--socket</c>). Failures become <see cref="DaemonClientException"/> with what to do.
/// </summary>
public sealed class DaemonClient : IDisposable
{
    public const string SocketEnvironmentVariable = "APPLIANCE_SOCKET";

    private readonly HttpClient _http;

    public DaemonClient(string? socketPath = null)
    {
        SocketPath = socketPath ?? Environment.GetEnvironmentVariable(SocketEnvironmentVariable) ?? DaemonOptions.DefaultSocketPath;
        _http = new HttpClient(UnixSocketConnector.CreateHandler(SocketPath)) { BaseAddress = UnixSocketConnector.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
    }

    public string SocketPath { get; }

    public Task<T> GetAsync<T>(string path, CancellationToken cancellationToken = default) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    public Task<T> SendJsonAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken = default) =>
        SendAsync<T>(new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body, JsonBody.Options.GetTypeInfo(body.GetType())) }, cancellationToken);

    /// <summary>Server-sent events of <paramref name="path"/>, one JSON object per event.</summary>
    public async IAsyncEnumerable<T> StreamAsync<T>(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Get, path), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal) && JsonSerializer.Deserialize(line.AsSpan(6), JsonBody.TypeInfo<T>()) is { } item)
            {
                yield return item;
            }
        }
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync(JsonBody.TypeInfo<T>(), cancellationToken)
            ?? throw new DaemonClientException($"the daemon answered {request.RequestUri} with an empty body");
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException socket)
        {
            throw socket.SocketErrorCode switch
            {
                SocketError.AddressNotAvailable or SocketError.ConnectionRefused when !File.Exists(SocketPath) =>
                    new DaemonClientException($"the Appliance daemon is not running (no socket at '{SocketPath}'); start it with `systemctl start appliance` or `appliance serve`", e),
                SocketError.AccessDenied =>
                    new DaemonClientException($"permission denied on '{SocketPath}': the daemon's socket is root-only; run this with sudo", e),
                _ => new DaemonClientException($"cannot reach the Appliance daemon at '{SocketPath}': {socket.Message}; is it running (`systemctl status appliance`)?", e),
            };
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        ErrorResponse? error = null;
        try
        {
            error = JsonSerializer.Deserialize(body, JsonBody.TypeInfo<ErrorResponse>());
        }
        catch (JsonException)
        {
        }
        throw new DaemonClientException(error is null
            ? $"the daemon answered {(int)response.StatusCode} {response.ReasonPhrase}: {body.Trim()}"
            : error.Error + (error.Details is { Count: > 0 } d ? "\n  " + string.Join("\n  ", d) : ""), statusCode: (int)response.StatusCode);
    }

    public void Dispose() => _http.Dispose();
}
