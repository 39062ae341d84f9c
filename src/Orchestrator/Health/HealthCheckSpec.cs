namespace Appliance.Orchestrator.Health;

/// <summary>
/// One service's health check with Compose semantics. Defaults are Compose's: interval 30 s, timeout 30 s,
/// retries 3, start_period 0 (failures inside start_period do not count; a success ends it).
/// </summary>
public sealed record HealthCheckSpec
{
    public ProbeKind Kind { get; init; } = ProbeKind.Exec;

    /// <summary>For <see cref="ProbeKind.Exec"/>: the argv run in the container (CMD-SHELL becomes <c>/bin/sh -c "..."</c>).</summary>
    public IReadOnlyList<string> Command { get; init; } = [];

    /// <summary>For TCP/HTTP probes: the container port probed on the container's address.</summary>
    public int Port { get; init; }

    /// <summary>For HTTP probes: the path; 2xx and 3xx count as healthy.</summary>
    public string Path { get; init; } = "/";

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public int Retries { get; init; } = 3;

    public TimeSpan StartPeriod { get; init; } = TimeSpan.Zero;

    /// <summary>Compose's <c>test: ["CMD", ...]</c>, <c>["CMD-SHELL", "..."]</c> or a plain string (shell form).</summary>
    public static IReadOnlyList<string> CommandFromCompose(IReadOnlyList<string> test) => test switch
    {
        ["CMD", _, ..] => test.Skip(1).ToArray(),
        ["CMD-SHELL", var shell] => ["/bin/sh", "-c", shell],
        [var shell] when shell is not ("NONE" or "CMD" or "CMD-SHELL") => ["/bin/sh", "-c", shell],
        _ => throw new FormatException($"healthcheck.test [{string.Join(", ", test)}] is not CMD, CMD-SHELL or a shell string"),
    };
}
