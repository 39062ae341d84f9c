using System.Net;
using Appliance.Web.Security;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Appliance.Web.Ui;

/// <summary>
/// Serves HTTPS with the self-signed certificate on <see cref="UiOptions.HttpsPort"/>. A host that was given
/// <see cref="HttpUrlsKey"/> (or <c>urls</c>) keeps those HTTP addresses (they then redirect to HTTPS) and gets HTTPS on the same hosts;
/// a host that configured Kestrel in code keeps its listeners and gets HTTPS on <see cref="UiOptions.HttpsAddress"/>.
/// </summary>
internal sealed class KestrelSetup(IOptions<UiOptions> options, IConfiguration configuration) : IConfigureOptions<KestrelServerOptions>
{
    /// <summary>The daemon's HTTP addresses (semicolon-separated URLs), listened on here rather than through <c>urls</c>.</summary>
    public const string HttpUrlsKey = "Appliance:HttpUrls";

    public void Configure(KestrelServerOptions kestrel)
    {
        UiOptions ui = options.Value;
        if (ui.HttpsPort <= 0)
        {
            return;
        }
        var certificate = TlsCertificate.LoadOrCreate(ui.StateDir);
        string? urls = configuration[HttpUrlsKey] ?? configuration["urls"];
        if (string.IsNullOrEmpty(urls))
        {
            kestrel.Listen(IPAddress.Parse(ui.HttpsAddress), ui.HttpsPort, listen => listen.UseHttps(certificate));
            return;
        }
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
