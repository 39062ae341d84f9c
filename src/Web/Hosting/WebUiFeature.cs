using System.Diagnostics.CodeAnalysis;

namespace Appliance.Web.Hosting;

/// <summary>
/// Whether this build of <c>appliance serve</c> has the web UI in process (<see cref="LazyUi"/>). It has, unless built with
/// <c>-p:ApplianceWebUi=false</c>: then the switch is false at build time, the trimmer and the ahead-of-time compiler drop
/// the UI (Blazor, authentication, OpenAPI) with the only branch that reaches it, and the daemon answers what would have
/// gone to the UI with 503. That is the daemon compiled ahead of time (docs/performance.md, Daemon: the way under 80 MB),
/// whose UI is to run as a process of its own.
/// </summary>
internal static class WebUiFeature
{
    private const string Switch = "Appliance.WebUi.IsSupported";

    [FeatureSwitchDefinition(Switch)]
    public static bool IsSupported => !AppContext.TryGetSwitch(Switch, out bool supported) || supported;

    /// <summary>What a request for the UI gets from a daemon built without it.</summary>
    public static Task NotInThisBuild(HttpContext context) =>
        JsonBody.Result(new ErrorResponse("this build of the daemon serves the CLI's API and /api/health only: its web UI is not part of it " +
            "(built with -p:ApplianceWebUi=false); use the CLI over the unix socket, or install the build with the UI"),
            StatusCodes.Status503ServiceUnavailable).ExecuteAsync(context);
}
