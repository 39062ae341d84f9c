using System.Net;
using Appliance.Web.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Tests.Security;

public sealed class EndpointAuthTests
{
    [Fact]
    public async Task Every_endpoint_and_page_refuses_anonymous_requests_except_login_setup_and_assets()
    {
        await using UiServer server = await UiServer.StartAsync();
        var endpoints = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.Contains(endpoints, e => e.RoutePattern.RawText == "/api/stacks");
        Assert.Contains(endpoints, e => e.RoutePattern.RawText == "/");
        using HttpClient client = server.CreateClient();
        var checkedRoutes = new List<string>();
        foreach (RouteEndpoint endpoint in endpoints)
        {
            string pattern = endpoint.RoutePattern.RawText ?? "";
            bool asset = endpoint.Metadata.Any(m => m.GetType().Name.Contains("StaticAsset", StringComparison.Ordinal))
                || pattern.StartsWith("_framework/", StringComparison.Ordinal) || pattern.StartsWith("/_framework/", StringComparison.Ordinal);
            if (asset || pattern is "/login" or "/setup" or "/account/login" or "/account/setup" or "/healthz" or "/api/health")
            {
                continue;
            }
            string path = "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
            {
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart l => l.Content,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart p when p.ParameterKind == Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterKind.CatchAll => "x/y",
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart => "1",
                _ => "",
            }))));
            string[] methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.ToArray() is { Length: > 0 } m ? m : ["GET"];
            foreach (string method in methods)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method is "POST" or "PUT")
                {
                    request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
                }
                using HttpResponseMessage response = await client.SendAsync(request);
                bool refused = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.BadRequest
                    || (response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location!.OriginalString.Contains("/login", StringComparison.Ordinal));
                // 400 is only acceptable for form posts refused by antiforgery before auth; check it is not a served page.
                Assert.True(refused, $"{method} {path} (route '{pattern}') answered {(int)response.StatusCode} to an anonymous request");
                if (response.StatusCode == HttpStatusCode.BadRequest)
                {
                    Assert.True(pattern.StartsWith("/account/", StringComparison.Ordinal), $"{method} {path} answered 400 instead of 401");
                }
                checkedRoutes.Add($"{method} {path}");
            }
        }
        Assert.True(checkedRoutes.Count >= 25, $"only {checkedRoutes.Count} routes checked: {string.Join(", ", checkedRoutes)}");
    }
}
