using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Appliance.Web.Tests.Support;

namespace Appliance.Web.Tests.Security;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TlsTests
{
    [Fact]
    public async Task FirstStart_CreatesCertificate_ServesHttps_AndHttpRedirects()
    {
        int httpsPort = FreePort();
        await using UiServer server = await UiServer.StartAsync(httpsPort: httpsPort);
        string pfx = Path.Combine(server.StateDir, "tls", "appliance.pfx");
        Assert.True(File.Exists(pfx));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(pfx));

        using HttpClient plain = server.CreateClient();
        using HttpResponseMessage redirect = await plain.GetAsync("/login");
        Assert.True(redirect.StatusCode is HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect, redirect.StatusCode.ToString());
        Assert.Equal($"https://127.0.0.1:{httpsPort}/login", redirect.Headers.Location!.ToString());

        X509Certificate2? seen = null;
        var cookies = new CookieContainer();
        using var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            CookieContainer = cookies,
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                seen = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.RawData);
                return true;
            },
        };
        using var tls = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{httpsPort}") };
        using HttpResponseMessage login = await tls.GetAsync("/login");
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.NotNull(seen);
        Assert.Contains("Appliance (self-signed)", seen.Subject, StringComparison.Ordinal);
        Assert.Contains(login.Headers.GetValues("Set-Cookie"), c => c.StartsWith("appliance.csrf=", StringComparison.Ordinal) && c.Contains("secure", StringComparison.OrdinalIgnoreCase));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
