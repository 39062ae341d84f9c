namespace Appliance.Orchestrator.State;

/// <summary>Wire values of <c>deployments.status</c>.</summary>
public static class DeploymentStatus
{
    /// <summary>Its plan is running (or was, when the daemon died): resumed at start.</summary>
    public const string Pending = "pending";

    /// <summary>It failed and the rollback plan is running (or was): resumed at start.</summary>
    public const string RollingBack = "rolling-back";

    /// <summary>A removal plan is running (or was): resumed at start.</summary>
    public const string Removing = "removing";

    /// <summary>What runs now.</summary>
    public const string Active = "active";

    /// <summary>Was active, replaced by a newer deployment (the target of a rollback).</summary>
    public const string Superseded = "superseded";

    /// <summary>Failed and the stack went back to the previous deployment (or away, if there was none).</summary>
    public const string RolledBack = "rolled-back";

    /// <summary>The stack was removed.</summary>
    public const string Removed = "removed";

    public static bool IsUnfinished(string status) => status is Pending or RollingBack or Removing;
}
