namespace Appliance.Orchestrator.Health;

/// <summary>
/// Restart policies as a pure function (Docker's semantics): <c>always</c> restarts on any exit,
/// <c>unless-stopped</c> too unless a user stopped it, <c>on-failure[:N]</c> only on a non-zero exit and at most
/// N times in a row, <c>no</c> never. A container a user stopped is never restarted. The delay grows
/// exponentially with the restarts in a row; a run that lasted at least <see cref="StableRun"/> resets the count.
/// </summary>
public static class RestartDecider
{
    public static readonly TimeSpan StableRun = TimeSpan.FromSeconds(10);

    /// <param name="restartsInARow">Restarts already done since the last stable run.</param>
    public static RestartDecision Decide(RestartPolicy policy, int exitCode, bool stoppedByUser, int restartsInARow, TimeSpan ranFor,
        ExponentialBackoff? backoff = null)
    {
        backoff ??= ExponentialBackoff.Restart;
        if (stoppedByUser)
        {
            return new RestartDecision(false, TimeSpan.Zero, "stopped by the user");
        }
        int inARow = ranFor >= StableRun ? 0 : restartsInARow;
        switch (policy.Kind)
        {
            case RestartPolicyKind.No:
                return new RestartDecision(false, TimeSpan.Zero, $"exited with code {exitCode}; restart policy is \"no\"");
            case RestartPolicyKind.OnFailure when exitCode == 0:
                return new RestartDecision(false, TimeSpan.Zero, "exited with code 0; restart policy on-failure restarts only on failure");
            case RestartPolicyKind.OnFailure when policy.MaxRetries is int max && inARow >= max:
                return new RestartDecision(false, TimeSpan.Zero, $"exited with code {exitCode}; gave up after {max} restarts in a row (on-failure:{max})");
        }
        TimeSpan delay = backoff.Delay(inARow + 1);
        return new RestartDecision(true, delay, $"exited with code {exitCode}; restart policy {policy} (restart {inARow + 1} in a row, after {delay.TotalSeconds:0.#} s)");
    }

    /// <summary>After a reboot or a daemon start: which containers that are not running are started again.</summary>
    public static bool StartAtBoot(RestartPolicy policy, bool stoppedByUser) => policy.Kind switch
    {
        RestartPolicyKind.Always => true,
        RestartPolicyKind.UnlessStopped => !stoppedByUser,
        _ => false,
    };
}
