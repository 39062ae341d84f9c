using System.CommandLine;
using Appliance.Netfilter.Backends;
using Appliance.Web.Ui;

namespace Appliance.Web.Cli;

/// <summary>`appliance serve`: the daemon (web UI, REST API, engine, scheduler).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var stateDir = new Option<string>("--state-dir") { Description = "Where Appliance keeps its state (SQLite, images, volumes).", DefaultValueFactory = _ => "/var/lib/appliance" };
        var port = new Option<int>("--port") { Description = "Port of the web UI and API.", DefaultValueFactory = _ => 8080 };
        Option<string> firewallBackend = FirewallBackendOption();
        var command = new Command("serve", "Run the Appliance daemon: web UI, REST API, engine and scheduler.") { stateDir, port, firewallBackend };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string backend = await FirewallBackends.SelectAsync(parse.GetValue(firewallBackend)!, cancellationToken: cancellationToken);
            Console.WriteLine($"Firewall backend: {backend}");
            string dir = parse.GetValue(stateDir)!;
            Directory.CreateDirectory(dir);
            WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls($"http://0.0.0.0:{parse.GetValue(port)}");
            builder.Services.AddApplianceUi();
            WebApplication app = builder.Build();
            app.MapApplianceUi();
            app.MapGet("/", () => Results.Text("Appliance is running. The web UI is under construction.\n"));
            app.MapGet("/api/health", () => Results.Json(new { status = "ok" }));
            await app.RunAsync(cancellationToken);
            return 0;
        });
        return command;
    }

    /// <summary>`--firewall-backend auto|nftables|firewalld|none`; an unknown name is a parse error listing the valid ones.</summary>
    internal static Option<string> FirewallBackendOption()
    {
        var option = new Option<string>("--firewall-backend")
        {
            Description = "Firewall to program: auto (firewalld when it runs, else nftables), nftables, firewalld or none.",
            DefaultValueFactory = _ => FirewallBackends.Auto,
        };
        option.AcceptOnlyFromAmong([.. FirewallBackends.Choices]);
        return option;
    }
}
