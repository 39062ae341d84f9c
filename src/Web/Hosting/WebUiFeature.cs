using System.Diagnostics.CodeAnalysis;

namespace Appliance.Web.Hosting;

/// <summary>
/// Whether this build of <c>appliance</c> contains the web UI, i.e. can run as the UI's process (<c>appliance ui</c>, Ui/UiHost).
/// It does, unless built with <c>-p:ApplianceWebUi=false</c> (implied by PublishAot and PublishTrimmed): then the switch is false
/// at build time and the trimmer and the ahead-of-time compiler drop the UI (Blazor, authentication, OpenAPI) with the only
/// branch that reaches it. That is the daemon compiled ahead of time, which starts the JIT-compiled UI installed beside it
/// (<c>ui/appliance</c>, Hosting/UiProcess; docs/performance.md, Daemon).
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
}
