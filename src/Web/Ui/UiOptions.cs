namespace Appliance.Web.Ui;

/// <summary>
/// Settings of the web UI and API, bound from the configuration section "Appliance"
/// (e.g. <c>Appliance:StateDir</c>, environment variable <c>Appliance__HttpsPort</c>).
/// </summary>
public sealed class UiOptions
{
    public const string Section = "Appliance";

    /// <summary>Where users, API tokens and the TLS certificate are kept.</summary>
    public string StateDir { get; set; } = "/var/lib/appliance";

    /// <summary>
    /// Port of the HTTPS endpoint; 0 serves plain HTTP only (a TLS proxy; `appliance serve --netns` or `--port 0`).
    /// When set, the self-signed certificate is created in the state directory and HTTP redirects here.
    /// `appliance serve` relies on this default: it leaves its TCP port to the UI when HTTPS is on.
    /// </summary>
    public int HttpsPort { get; set; } = 8443;

    /// <summary>Address of the HTTPS endpoint when the host was not given URLs (all addresses by default).</summary>
    public string HttpsAddress { get; set; } = "0.0.0.0";

    /// <summary>How long the first-run setup token stays valid after the daemon starts.</summary>
    public TimeSpan SetupWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Addresses of reverse proxies whose X-Forwarded-For is believed. Empty: nobody's.</summary>
    public string[] TrustedProxies { get; set; } = [];

    /// <summary>Extra origins (scheme://host:port) allowed for state changes and the Blazor circuit.</summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>Folder of packaged stacks shown in the catalog (one folder per stack).</summary>
    public string? CatalogDir { get; set; }

    /// <summary>Failed sign-ins per account name within <see cref="LockoutWindow"/> before it is locked.</summary>
    public int MaxFailuresPerAccount { get; set; } = 5;

    /// <summary>Failed sign-ins per client address within <see cref="LockoutWindow"/> before it is locked.</summary>
    public int MaxFailuresPerAddress { get; set; } = 20;

    public TimeSpan LockoutWindow { get; set; } = TimeSpan.FromMinutes(15);
}
