namespace Appliance.Orchestrator.Reconcile;

/// <summary>
/// The steps of the plans the <see cref="Deployer"/> persists and runs (wire values in <c>deployments.plan</c>).
/// Each step is idempotent; the index of the next one is committed before it runs, so after a crash the plan resumes there.
/// </summary>
public static class PlanStep
{
    /// <summary>Converge the stack to the new deployment (<see cref="IStackRuntime.UpAsync"/>).</summary>
    public const string Up = "up";

    /// <summary>Wait until every service runs and every health check passes (deploy timeout).</summary>
    public const string Verify = "verify";

    /// <summary>Make the deployment the stack's current one (one transaction).</summary>
    public const string Commit = "commit";

    /// <summary>Rollback: converge back to the previous deployment, or take the stack down (volumes kept) if there was none.</summary>
    public const string Restore = "restore";

    /// <summary>Rollback: mark the failed deployment rolled back.</summary>
    public const string FinishRollback = "finish-rollback";

    /// <summary>Removal: take the stack down, keeping volumes.</summary>
    public const string Down = "down";

    /// <summary>Removal: take the stack down and delete its volumes (only on an explicit `down --volumes`).</summary>
    public const string DownWithVolumes = "down-volumes";

    /// <summary>Removal: forget the stack's state (history and events stay).</summary>
    public const string Forget = "forget";

    public static IReadOnlyList<string> DeployPlan { get; } = [Up, Verify, Commit];

    public static IReadOnlyList<string> RollbackPlan { get; } = [Restore, FinishRollback];

    public static IReadOnlyList<string> RemovePlan(bool removeVolumes) => [removeVolumes ? DownWithVolumes : Down, Forget];
}
