namespace Appliance.Orchestrator.Stacks.Resolved;

/// <summary>
/// A health check with Compose defaults applied (interval 30s, timeout 30s, retries 3, start period 0,
/// start interval 5s). <see cref="Test"/> is the argv to exec: for Shell it is <c>/bin/sh -c CMD</c>.
/// </summary>
public sealed record ResolvedHealthcheck(
    HealthcheckKind Kind,
    IReadOnlyList<string> Test,
    TimeSpan Interval,
    TimeSpan Timeout,
    int Retries,
    TimeSpan StartPeriod,
    TimeSpan StartInterval)
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    public const int DefaultRetries = 3;
    public static readonly TimeSpan DefaultStartInterval = TimeSpan.FromSeconds(5);
}
