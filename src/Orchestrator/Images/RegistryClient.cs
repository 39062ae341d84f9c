using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Appliance.Orchestrator.Images;

/// <summary>
/// The Registry HTTP API v2 (OCI distribution spec) on one HttpClient: manifests and blobs,
/// authenticating on demand from the <c>WWW-Authenticate</c> challenge (Bearer token from the
/// realm, or Basic). Plain HTTP only to loopback registries; everything else is HTTPS.
/// </summary>
internal sealed partial class RegistryClient
{
    private const int MaxManifestBytes = 4 << 20;

    private readonly HttpClient _http;
    private readonly Func<string, RegistryCredential?> _credentials;
    private readonly Dictionary<(string Registry, string Repository), AuthenticationHeaderValue> _auth = new();
    private readonly Lock _authGate = new();

    public RegistryClient(HttpClient http, Func<string, RegistryCredential?> credentials)
    {
        _http = http;
        _credentials = credentials;
    }

    /// <summary>http for a loopback registry, otherwise https.</summary>
    public static Uri BaseUri(ImageReference reference)
    {
        string host = reference.ApiHost;
        return new Uri($"{(IsLoopback(host) ? "http" : "https")}://{host}/");
    }

    public static bool IsLoopback(string hostAndPort)
    {
        string host = hostAndPort;
        if (host.StartsWith('['))
        {
            host = host[1..host.IndexOf(']')];
        }
        else if (host.Count(c => c == ':') == 1)
        {
            host = host[..host.IndexOf(':')];
        }
        if (host == "localhost")
        {
            return true;
        }
        return IPAddress.TryParse(host, out IPAddress? address) && IPAddress.IsLoopback(address);
    }

    /// <summary>A manifest or index by tag or digest, with its media type and digest (verified when asked by digest).</summary>
    public async Task<(byte[] Body, string MediaType, string Digest)> GetManifestAsync(ImageReference image, string reference,
        CancellationToken cancellationToken)
    {
        var uri = new Uri(BaseUri(image), $"v2/{image.Repository}/manifests/{reference}");
        using HttpResponseMessage response = await SendAsync(image, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, uri);
            foreach (string type in OciMediaTypes.ManifestAccept)
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            }
            return request;
        }, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ImageNotFoundException(image.ToString(), $"in registry {image.Registry} (no manifest '{reference}' in repository '{image.Repository}')");
        }
        await EnsureSuccessAsync(response, $"manifest '{reference}' of {image.Repository}", cancellationToken);
        if (response.Content.Headers.ContentLength > MaxManifestBytes)
        {
            throw new RegistryException($"manifest '{reference}' of {image} is {response.Content.Headers.ContentLength} bytes; more than {MaxManifestBytes} is refused", uri);
        }
        byte[] body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        string digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body));
        if (reference.StartsWith("sha256:", StringComparison.Ordinal) && digest != reference)
        {
            throw new DigestMismatchException($"manifest of {image.Repository}", reference, digest);
        }
        string mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
        return (body, mediaType, digest);
    }

    /// <summary>Starts a blob download; the caller reads the body as a stream and disposes the response.</summary>
    public async Task<HttpResponseMessage> GetBlobAsync(ImageReference image, string digest, CancellationToken cancellationToken)
    {
        var uri = new Uri(BaseUri(image), $"v2/{image.Repository}/blobs/{digest}");
        HttpResponseMessage response = await SendAsync(image, () => new HttpRequestMessage(HttpMethod.Get, uri), cancellationToken);
        try
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new RegistryException($"registry {image.Registry} has no blob {digest} in repository '{image.Repository}' (the image is incomplete there)", uri, response.StatusCode);
            }
            await EnsureSuccessAsync(response, $"blob {digest} of {image.Repository}", cancellationToken);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(ImageReference image, Func<HttpRequestMessage> makeRequest, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            using HttpRequestMessage request = makeRequest();
            lock (_authGate)
            {
                if (_auth.TryGetValue((image.Registry, image.Repository), out AuthenticationHeaderValue? header))
                {
                    request.Headers.Authorization = header;
                }
            }
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                throw new RegistryException($"cannot reach registry {image.Registry} at {request.RequestUri}: {e.Message}", request.RequestUri, inner: e);
            }
            if (response.StatusCode != HttpStatusCode.Unauthorized || attempt > 0)
            {
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    response.Dispose();
                    RegistryCredential? credential = _credentials(image.Registry);
                    throw new RegistryAuthenticationException(image.Registry, credential is null
                        ? $"registry {image.Registry} requires a login for '{image.Repository}'; save credentials for it (appliance image login {image.Registry})"
                        : $"registry {image.Registry} refused the login of '{credential.Username}' for '{image.Repository}'; check the user name and password");
                }
                return response;
            }
            AuthenticationHeaderValue authorization = await AuthenticateAsync(image, response, cancellationToken);
            response.Dispose();
            lock (_authGate)
            {
                _auth[(image.Registry, image.Repository)] = authorization;
            }
        }
    }

    private async Task<AuthenticationHeaderValue> AuthenticateAsync(ImageReference image, HttpResponseMessage challenge, CancellationToken cancellationToken)
    {
        RegistryCredential? credential = _credentials(image.Registry);
        AuthenticationHeaderValue? bearer = challenge.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase));
        if (bearer is not null)
        {
            return new AuthenticationHeaderValue("Bearer", await FetchTokenAsync(image, ParseChallenge(bearer.Parameter ?? ""), credential, cancellationToken));
        }
        bool basic = challenge.Headers.WwwAuthenticate.Any(h => h.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase));
        if (!basic)
        {
            throw new RegistryAuthenticationException(image.Registry,
                $"registry {image.Registry} answered 401 without a Bearer or Basic challenge ({string.Join(", ", challenge.Headers.WwwAuthenticate)}); Appliance cannot log in there");
        }
        if (credential is null)
        {
            throw new RegistryAuthenticationException(image.Registry,
                $"registry {image.Registry} requires a login (basic auth) for '{image.Repository}'; save credentials for it (appliance image login {image.Registry})");
        }
        return BasicHeader(credential);
    }

    private async Task<string> FetchTokenAsync(ImageReference image, IReadOnlyDictionary<string, string> challenge, RegistryCredential? credential,
        CancellationToken cancellationToken)
    {
        if (!challenge.TryGetValue("realm", out string? realm) || !Uri.TryCreate(realm, UriKind.Absolute, out Uri? realmUri))
        {
            throw new RegistryAuthenticationException(image.Registry, $"registry {image.Registry} sent a Bearer challenge without a valid realm URL");
        }
        if (realmUri.Scheme != Uri.UriSchemeHttps && !(realmUri.Scheme == Uri.UriSchemeHttp && IsLoopback(realmUri.Authority)))
        {
            throw new RegistryAuthenticationException(image.Registry, $"registry {image.Registry} wants tokens from '{realm}'; Appliance sends credentials over HTTPS only (or to loopback)");
        }
        var query = new StringBuilder();
        if (challenge.TryGetValue("service", out string? service))
        {
            query.Append("service=").Append(Uri.EscapeDataString(service));
        }
        string scope = challenge.TryGetValue("scope", out string? s) ? s : $"repository:{image.Repository}:pull";
        query.Append(query.Length > 0 ? "&" : "").Append("scope=").Append(Uri.EscapeDataString(scope));
        var tokenUri = new UriBuilder(realmUri) { Query = (realmUri.Query.TrimStart('?') is { Length: > 0 } q ? q + "&" : "") + query }.Uri;
        using var request = new HttpRequestMessage(HttpMethod.Get, tokenUri);
        if (credential is not null)
        {
            request.Headers.Authorization = BasicHeader(credential);
        }
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new RegistryException($"cannot reach the token service of registry {image.Registry} at {tokenUri}: {e.Message}", tokenUri, inner: e);
        }
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw new RegistryAuthenticationException(image.Registry, credential is null
                    ? $"the token service of {image.Registry} ({realmUri.GetLeftPart(UriPartial.Path)}) requires a login for '{image.Repository}'; save credentials for it (appliance image login {image.Registry})"
                    : $"the token service of {image.Registry} refused the login of '{credential.Username}' for '{image.Repository}'; check the user name and password");
            }
            await EnsureSuccessAsync(response, $"token for {scope}", cancellationToken);
            using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken));
            foreach (string name in new[] { "token", "access_token" })
            {
                if (json.RootElement.TryGetProperty(name, out JsonElement token) && token.GetString() is { Length: > 0 } value)
                {
                    return value;
                }
            }
            throw new RegistryAuthenticationException(image.Registry, $"the token service of {image.Registry} answered without a token");
        }
    }

    /// <summary>realm="…",service="…",scope="…" (quoted or token values).</summary>
    internal static IReadOnlyDictionary<string, string> ParseChallenge(string parameters)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match match in ChallengeParameter().Matches(parameters))
        {
            result[match.Groups["key"].Value] = match.Groups["quoted"].Success
                ? match.Groups["quoted"].Value.Replace("\\\"", "\"", StringComparison.Ordinal)
                : match.Groups["token"].Value;
        }
        return result;
    }

    private static AuthenticationHeaderValue BasicHeader(RegistryCredential credential) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")));

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        string body = "";
        try
        {
            body = (await response.Content.ReadAsStringAsync(cancellationToken)).Trim();
        }
        catch (HttpRequestException)
        {
        }
        if (body.Length > 300)
        {
            body = body[..300] + "…";
        }
        throw new RegistryException($"registry answered {(int)response.StatusCode} {response.ReasonPhrase} for {what} ({response.RequestMessage?.RequestUri}){(body.Length > 0 ? ": " + body : "")}",
            response.RequestMessage?.RequestUri, response.StatusCode);
    }

    [GeneratedRegex("""(?<key>[A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"(?<quoted>(?:[^"\\]|\\.)*)"|(?<token>[^\s,]+))""")]
    private static partial Regex ChallengeParameter();
}
