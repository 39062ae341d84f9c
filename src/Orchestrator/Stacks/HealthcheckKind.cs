namespace Appliance.Orchestrator.Stacks;

/// <summary>How a health check runs.</summary>
public enum HealthcheckKind
{
    /// <summary>Use the image's own HEALTHCHECK, if any (a healthcheck with timings but no test).</summary>
    Image,

    /// <summary><c>["CMD", argv...]</c>: exec the argv in the container.</summary>
    Exec,

    /// <summary><c>CMD-SHELL</c> or a plain string: run with <c>/bin/sh -c</c> in the container.</summary>
    Shell,

    /// <summary><c>NONE</c> or <c>disable: true</c>: no health check, not even the image's.</summary>
    Disabled,
}
