namespace Appliance.Orchestrator.Runtime;

/// <summary>A container spec the runtime refuses (bad id, unsafe mount, unknown user or capability); lists every problem.</summary>
public sealed class InvalidContainerSpecException : RuntimeException
{
    public InvalidContainerSpecException(string id, IReadOnlyList<string> problems)
        : base($"container '{id}' cannot be created:\n  " + string.Join("\n  ", problems))
    {
        Id = id;
        Problems = problems;
    }

    public string Id { get; }

    public IReadOnlyList<string> Problems { get; }
}
