using System.Net.Http.Json;
using System.Text.Json;
using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.State;
using Appliance.Web.Hosting;
using Appliance.Web.Tests.Support;
using Appliance.Web.Ui;
using Appliance.Web.Ui.Backend;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Tests.Ui;

public sealed class DaemonBackendTests
{
    [Fact]
    public async Task Serve_StateDir_IsWhereTheUiKeepsItsFiles()
    {
        string stateDir = Path.Combine(Path.GetTempPath(), $"tbw{Guid.NewGuid().ToString("N")[..6]}-state");
        try
        {
            var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
            builder.Services.AddApplianceDaemon(new Appliance.Web.Hosting.DaemonOptions { StateDir = stateDir, Engine = "none" });
            builder.Services.AddApplianceUi();
            await using var app = builder.Build();
            Assert.Equal(stateDir, app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Appliance.Web.Ui.UiOptions>>().Value.StateDir);
        }
        finally
        {
            if (Directory.Exists(stateDir))
            {
                Directory.Delete(stateDir, recursive: true);
            }
        }
    }

    [Fact]
    public async Task DeployedStackAndEvents_FromTheDaemonState_ShowInTheApi()
    {
        await using UiServer server = await UiServer.StartAsync();
        Assert.IsType<Appliance.Web.Hosting.DaemonBackend>(server.Services.GetRequiredService<IApplianceBackend>());
        Assert.False(server.Services.GetRequiredService<IApplianceBackend>().IsConnected);
        var stacks = server.Services.GetRequiredService<StackRepository>();
        string file = "services:\n  web:\n    image: nginx:1.27\n    ports: [\"8080:80\"]\n    x-appliance:\n      exposure: host-only\n";
        DeploymentRecord deployment = await stacks.BeginAsync("web", file, new Dictionary<string, string>(), ["create"]);
        await stacks.CompleteAsync(deployment);
        await server.Services.GetRequiredService<EventLog>().PublishAsync("deploy", "web", null, "deployed version 1");

        using var session = new Session(server);
        await session.SetupAdminAsync();
        JsonElement list = await session.Client.GetFromJsonAsync<JsonElement>("/api/stacks");
        JsonElement stack = Assert.Single(list.EnumerateArray());
        Assert.Equal("web", stack.GetProperty("name").GetString());
        Assert.Equal("nginx:1.27", stack.GetProperty("services")[0].GetProperty("image").GetString());
        JsonElement port = stack.GetProperty("ports")[0];
        Assert.Equal(8080, port.GetProperty("hostPort").GetInt32());
        JsonElement events = await session.Client.GetFromJsonAsync<JsonElement>("/api/events?stack=web");
        Assert.Contains(events.EnumerateArray(), e => e.GetProperty("message").GetString() == "deployed version 1");
        string dashboard = await session.Client.GetStringAsync("/");
        Assert.Contains("data-stack=\"web\"", dashboard, StringComparison.Ordinal);
        Assert.Contains("No engine connected", dashboard, StringComparison.Ordinal);
    }
}
