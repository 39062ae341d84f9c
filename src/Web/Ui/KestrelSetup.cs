using System.Net;
using Appliance.Web.Security;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Appliance.Web.Ui;

/// <summary>
/// Serves HTTPS with the self-signed certificate on <see cref="UiOptions.HttpsPort"/> next to the HTTP
/// addresses the host was given (<c>urls</c>), which then only redirect to HTTPS.
/// </summary>
internal sealed class KestrelSetup(IOptions<UiOptions> options, IConfiguration configuration) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions kestrel)
    {
        UiOptions ui = options.Value;
        if (ui.HttpsPort <= 0)
        {
            return;
        }
        var certificate = TlsCertificate.LoadOrCreate(ui.StateDir);
        string urls = configuration["urls"] ?? configuration["ASPNETCORE_URLS"] ?? "http://0.0.0.0:8080";
        var hosts = new HashSet<IPAddress>();
        foreach (string url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var uri = new Uri(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"));
            IPAddress address = uri.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(uri.Host.Trim('[', ']'));
            kestrel.Listen(address, uri.Port);
            if (hosts.Add(address))
            {
                kestrel.Listen(address, ui.HttpsPort, listen => listen.UseHttps(certificate));
            }
        }
    }
}
