using System.Net;
using System.Text.RegularExpressions;

namespace Appliance.Web.Tests.Support;

/// <summary>A browser-like client of a <see cref="UiServer"/>: cookies, antiforgery tokens from the forms.</summary>
public sealed partial class Session : IDisposable
{
    private readonly UiServer server;

    public Session(UiServer server)
    {
        this.server = server;
        Client = server.CreateClient(Cookies);
    }

    public const string AdminName = "admin";
    public const string AdminPassword = "correct horse battery";

    public CookieContainer Cookies { get; } = new();


    public HttpClient Client { get; }

    /// <summary>The hidden antiforgery field of a form page (and its cookie, kept by the client).</summary>
    public async Task<string> FormTokenAsync(string page = "/login")
    {
        string html = await Client.GetStringAsync(page);
        Match m = TokenField().Match(html);
        Assert.True(m.Success, $"no antiforgery field on {page}");
        return WebUtility.HtmlDecode(m.Groups["v"].Value);
    }

    public async Task<HttpResponseMessage> PostFormAsync(string path, string? antiforgery, params (string Name, string Value)[] fields)
    {
        var values = fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)).ToList();
        if (antiforgery is not null)
        {
            values.Add(new("__RequestVerificationToken", antiforgery));
        }
        return await Client.PostAsync(path, new FormUrlEncodedContent(values));
    }

    /// <summary>First-run setup with the token the server printed; leaves this session signed in.</summary>
    public async Task SetupAdminAsync(string name = AdminName, string password = AdminPassword)
    {
        string token = await FormTokenAsync("/setup");
        using HttpResponseMessage response = await PostFormAsync("/account/setup", token,
            ("Token", server.SetupToken), ("Name", name), ("Password", password), ("Confirm", password));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.OriginalString);
    }

    public async Task<HttpResponseMessage> LoginAsync(string name, string password)
    {
        string token = await FormTokenAsync("/login");
        return await PostFormAsync("/account/login", token, ("Name", name), ("Password", password), ("ReturnUrl", "/"));
    }

    public void Dispose() => Client.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*?value=\"(?<v>[^\"]+)\"")]
    private static partial Regex TokenField();
}
