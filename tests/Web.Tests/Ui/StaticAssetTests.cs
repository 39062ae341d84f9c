using System.Net;
using Appliance.Web.Tests.Support;

namespace Appliance.Web.Tests.Ui;

public sealed class StaticAssetTests
{
    [Theory]
    [InlineData("/app.css")]
    [InlineData("/favicon.svg")]
    [InlineData("/_framework/blazor.web.js")]
    public async Task Asset_IsServedToAnonymousVisitors(string path)
    {
        await using UiServer server = await UiServer.StartAsync();
        using HttpClient client = server.CreateClient();
        using HttpResponseMessage response = await client.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {string.Join("\n", server.LogLines)}");
        Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 100, $"{path} is served empty");
    }
}
