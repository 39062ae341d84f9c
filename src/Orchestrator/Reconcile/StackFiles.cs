namespace Appliance.Orchestrator.Reconcile;

/// <summary>Where a deployed stack's file is considered to live (STATE_DIR/stacks/NAME/stack.yaml): diagnostics name it, and
/// relative <c>env_file</c> and bind-mount paths resolve in that folder.</summary>
public static class StackFiles
{
    public static string PathOf(string stateDir, string stack) => Path.Combine(stateDir, "stacks", stack, "stack.yaml");
}
