namespace Appliance.Orchestrator.Stacks;

/// <summary>Type of a catalog parameter asked for (or generated) at install.</summary>
public enum ParameterType
{
    String,
    Port,
    Secret,
}
