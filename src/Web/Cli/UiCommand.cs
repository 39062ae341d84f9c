using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using Appliance.Web.Hosting;
using Appliance.Web.Ui;

namespace Appliance.Web.Cli;

/// <summary>
/// `appliance ui`: the web UI's process, which `appliance serve` starts on the first request for a page and forwards the
/// requests to (Hosting/UiProcess). Not for people: hidden from the help.
/// </summary>
internal static class UiCommand
{
    public static Command Create(Option<string?> daemonSocket)
    {
        var socket = new Option<string>("--socket") { Description = "The unix socket to serve the web UI on (the daemon forwards to it).", Required = true };
        var stateDir = new Option<string>("--state-dir") { Description = "The daemon's state directory.", DefaultValueFactory = _ => DaemonOptions.DefaultStateDir };
        var stopAtEndOfInput = new Option<bool>("--stop-at-end-of-input") { Description = "Stop when standard input ends (the daemon holds it open)." };
        var command = new Command("ui", "Serve the web UI for the daemon (started by `appliance serve`).") { socket, stateDir, stopAtEndOfInput };
        command.Hidden = true;
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!WebUiFeature.IsSupported)
            {
                Console.Error.WriteLine($"appliance ui: this build of appliance has no web UI (compiled ahead of time); the daemon runs the one installed at {UiProcess.ExpectedProgram}");
                return 2;
            }
            var options = new UiHostOptions(Path.GetFullPath(parse.GetValue(socket)!),
                Path.GetFullPath(parse.GetValue(daemonSocket) ?? Environment.GetEnvironmentVariable(DaemonClient.SocketEnvironmentVariable) ?? DaemonOptions.DefaultSocketPath),
                Path.GetFullPath(parse.GetValue(stateDir)!), parse.GetValue(stopAtEndOfInput));
            return await RunIfSupportedAsync(options, cancellationToken);
        });
        return command;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = WebUiFeature.FoldedWhenTrimmed)]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = WebUiFeature.FoldedWhenTrimmed)]
    private static Task<int> RunIfSupportedAsync(UiHostOptions options, CancellationToken cancellationToken) =>
        WebUiFeature.IsSupported ? UiHost.RunAsync(options, cancellationToken) : Task.FromResult(2);
}
