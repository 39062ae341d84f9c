// `RuntimeFloor console`: a process that prints a line and waits. `RuntimeFloor web SOCKET`: the daemon's host without
// Appliance: the slim ASP.NET Core builder, Kestrel on a unix socket, one minimal API endpoint.
if (args is ["web", string socket])
{
    WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
    builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenUnixSocket(socket));
    builder.Logging.ClearProviders();
    WebApplication app = builder.Build();
    app.MapGet("/api/health", () => "ok");
    app.Run();
    return 0;
}
Console.WriteLine("idle");
Thread.Sleep(Timeout.Infinite);
return 0;
