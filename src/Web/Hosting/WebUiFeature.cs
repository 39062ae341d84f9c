using System.Diagnostics.CodeAnalysis;

namespace Appliance.Web.Hosting;

/// <summary>
/// Whether this build of <c>appliance serve</c> has the web UI in process (<see cref="LazyUi"/>). It has, unless built with
/// <c>-p:ApplianceWebUi=false</c> (implied by PublishAot and PublishTrimmed): then the switch is false at build time, the
/// trimmer and the ahead-of-time compiler drop the UI (Blazor, authentication, OpenAPI) with the only branch that reaches
/// it, and the daemon answers what would have gone to the UI with 503. That is the daemon compiled ahead of time (docs/performance.md, Daemon: the way under 80 MB),
/// whose UI is to run as a process of its own.
/// </summary>
internal static class WebUiFeature
{
    private const string Switch = "Appliance.WebUi.IsSupported";

    /// <summary>Why the web UI's entry points carry RequiresUnreferencedCode and RequiresDynamicCode: src/Web runs the
    /// trim and AOT analyzers, and everything else in it must stay fit to be compiled ahead of time.</summary>
    public const string NotTrimmable = "The web UI is Blazor Server, which cannot be trimmed or compiled ahead of time; " +
        "a daemon built without it (-p:ApplianceWebUi=false) leaves it out. Reach it only where WebUiFeature.IsSupported is true.";

    /// <summary>Why code guarded by <see cref="IsSupported"/> may call the UI without the analyzers' warnings.</summary>
    public const string FoldedWhenTrimmed = "Guarded by WebUiFeature.IsSupported, which every trimmed or AOT build sets false at build time " +
        "(Appliance.Web.csproj), so the trimmer and the AOT compiler remove the call.";

    [FeatureSwitchDefinition(Switch)]
    public static bool IsSupported => !AppContext.TryGetSwitch(Switch, out bool supported) || supported;

    /// <summary>What a request for the UI gets from a daemon built without it.</summary>
    public static Task NotInThisBuild(HttpContext context) =>
        JsonBody.Result(new ErrorResponse("this build of the daemon serves the CLI's API and /api/health only: its web UI is not part of it " +
            "(compiled ahead of time, or built with -p:ApplianceWebUi=false); use the CLI over the unix socket, or install the build with the UI"),
            StatusCodes.Status503ServiceUnavailable).ExecuteAsync(context);
}
