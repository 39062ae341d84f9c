namespace Appliance.Orchestrator.Stacks;

/// <summary>A restart policy; <see cref="MaxRetries"/> only with <see cref="RestartMode.OnFailure"/> (<c>on-failure:5</c>).</summary>
public sealed record RestartPolicy(RestartMode Mode, int? MaxRetries = null)
{
    public static RestartPolicy No { get; } = new(RestartMode.No);

    public override string ToString() => Mode switch
    {
        RestartMode.No => "no",
        RestartMode.Always => "always",
        RestartMode.UnlessStopped => "unless-stopped",
        _ => MaxRetries is int n ? $"on-failure:{n}" : "on-failure",
    };
}
