using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Appliance.Web.Security;
using Appliance.Web.Tests.Support;
using Appliance.Web.Ui.Backend;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Appliance.Bench.WebUi;

/// <summary>
/// `compare-webui`: the dashboard's first server render with 50 stacks, and `/api/stacks` under wrk at about
/// 200 requests/s on loopback (bearer token, full security pipeline) against a bare ASP.NET Core minimal API
/// serving the same JSON without auth (the framework floor).
/// </summary>
public sealed partial class WebUiComparison : IComparison
{
    private const int Stacks = 50;

    public string Name => "compare-webui";

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        var backend = new InMemoryBackend();
        for (int i = 0; i < Stacks; i++)
        {
            backend.WithStack($"stack{i:00}", 3, 20000 + i, (Exposure)(i % 3));
        }
        await using UiServer server = await UiServer.StartAsync(s => s.AddSingleton<IApplianceBackend>(backend));
        var accounts = server.Services.GetRequiredService<AccountService>();
        await accounts.CreateAccountAsync("bench", "bench password 123", cancellationToken);
        (_, string token) = await accounts.CreateTokenAsync("bench", "wrk", cancellationToken);

        (double first, double median) = await DashboardRenderAsync(server, cancellationToken);
        Console.WriteLine($"Dashboard with {Stacks} stacks, server render (GET /, signed in): first {first:F1} ms, then median of 20 {median:F1} ms");

        await WrkAsync(new Uri(server.Address, "/api/stacks"), token, cancellationToken, warmUp: true);
        WrkResult appliance = await WrkAsync(new Uri(server.Address, "/api/stacks"), token, cancellationToken);
        IReadOnlyList<StackView> payload = await backend.ListStacksAsync(cancellationToken);
        WrkResult floor;
        await using (WebApplication bare = await BareAsync(payload))
        {
            string address = bare.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            await WrkAsync(new Uri(new Uri(address), "/api/stacks"), null, cancellationToken, warmUp: true);
            floor = await WrkAsync(new Uri(new Uri(address), "/api/stacks"), null, cancellationToken);
        }
        Console.WriteLine();
        Console.WriteLine("| /api/stacks, 50 stacks, wrk 15 s after 3 s warm-up, paced to ~200 req/s | req/s | p50 | p99 | errors |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine($"| Appliance (bearer auth, origin/antiforgery filters) | {appliance.Rate:F0} | {appliance.P50} | {appliance.P99} | {appliance.Errors} |");
        Console.WriteLine($"| bare ASP.NET Core minimal API, same JSON, no auth | {floor.Rate:F0} | {floor.P50} | {floor.P99} | {floor.Errors} |");
        Console.WriteLine($"p99 ratio Appliance / bare: {appliance.P99Ms / Math.Max(floor.P99Ms, 0.001):F2}");
    }

    private static async Task<(double First, double Median)> DashboardRenderAsync(UiServer server, CancellationToken cancellationToken)
    {
        var cookies = new CookieContainer();
        using HttpClient client = server.CreateClient(cookies);
        string login = await client.GetStringAsync("/login", cancellationToken);
        string antiforgery = WebUtility.HtmlDecode(TokenField().Match(login).Groups[1].Value);
        using HttpResponseMessage signIn = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Name"] = "bench", ["Password"] = "bench password 123", ["__RequestVerificationToken"] = antiforgery,
        }), cancellationToken);
        if (signIn.Headers.Location?.OriginalString != "/")
        {
            throw new InvalidOperationException($"sign-in failed: {signIn.StatusCode} {signIn.Headers.Location}");
        }
        var times = new List<double>();
        for (int i = 0; i < 21; i++)
        {
            long start = Stopwatch.GetTimestamp();
            string html = await client.GetStringAsync("/", cancellationToken);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            if (!html.Contains("stack49", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("the dashboard did not render the stacks");
            }
        }
        List<double> warm = [.. times.Skip(1).Order()];
        return (times[0], warm[warm.Count / 2]);
    }

    private static async Task<WebApplication> BareAsync(IReadOnlyList<StackView> payload)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        WebApplication app = builder.Build();
        app.MapGet("/api/stacks", () => Results.Ok(payload));
        await app.StartAsync();
        return app;
    }

    private static async Task<WrkResult> WrkAsync(Uri url, string? token, CancellationToken cancellationToken, bool warmUp = false)
    {
        string script = Path.Combine(Path.GetTempPath(), $"tbw{Environment.ProcessId}-pace.lua");
        // 5 connections, each waiting 20 ms between requests: about 200 requests/s in all (wrk 4 has no fixed rate).
        await File.WriteAllTextAsync(script, "function delay()\n  return 20\nend\n", cancellationToken);
        try
        {
            var args = new List<string> { "-t2", "-c5", warmUp ? "-d3s" : "-d15s", "--timeout", "2s", "--latency", "-s", script };
            if (token is not null)
            {
                args.AddRange(["-H", $"Authorization: Bearer {token}"]);
            }
            args.Add(url.ToString());
            var start = new ProcessStartInfo("wrk", args) { RedirectStandardOutput = true, RedirectStandardError = true };
            using Process wrk = Process.Start(start)!;
            string output = await wrk.StandardOutput.ReadToEndAsync(cancellationToken);
            await wrk.WaitForExitAsync(cancellationToken);
            if (!warmUp)
            {
                Console.WriteLine(output);
            }
            string p50 = Percentile().Matches(output).First(m => m.Groups[1].Value == "50").Groups[2].Value;
            string p99 = Percentile().Matches(output).First(m => m.Groups[1].Value == "99").Groups[2].Value;
            double rate = double.Parse(Rate().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
            int errors = Errors().Matches(output).Sum(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
                + SocketErrors().Matches(output).SelectMany(m => m.Groups.Values.Skip(1)).Sum(g => int.Parse(g.Value, CultureInfo.InvariantCulture));
            return new WrkResult(rate, p50, p99, ToMs(p99), errors);
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static double ToMs(string latency)
    {
        Match m = Unit().Match(latency);
        double value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    private sealed record WrkResult(double Rate, string P50, string P99, double P99Ms, int Errors);

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*?value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    [GeneratedRegex(@"^\s+(\d+)%\s+(\S+)", RegexOptions.Multiline)]
    private static partial Regex Percentile();

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex Rate();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Errors();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();

    [GeneratedRegex(@"([\d.]+)(us|ms|s)")]
    private static partial Regex Unit();
}
