namespace Appliance.Orchestrator.Reconcile;

/// <summary>Timeouts of the deploy plan, and hooks that run before and after each step (fault-injection tests stop the daemon there).</summary>
public sealed record DeployerOptions
{
    /// <summary>How long verify waits for all services to run and pass their health checks before the deploy fails.</summary>
    public TimeSpan VerifyTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan VerifyPoll { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Runs after a step's index is committed and before the step itself: (stack, version, step).</summary>
    public Func<string, int, string, CancellationToken, Task>? BeforeStep { get; init; }

    /// <summary>Runs after a step succeeded and before the next step's index is committed: (stack, version, step).</summary>
    public Func<string, int, string, CancellationToken, Task>? AfterStep { get; init; }
}
