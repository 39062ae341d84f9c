namespace Appliance.Orchestrator.Runtime;

/// <summary>runc or conmon failed on a container; carries the tool's own words.</summary>
public sealed class RuntimeCommandException : RuntimeException
{
    public RuntimeCommandException(string operation, string id, int exitCode, string output)
        : base($"{operation} of container '{id}' failed (exit {exitCode}): {output.Trim()}")
    {
        Operation = operation;
        Id = id;
        ExitCode = exitCode;
        Output = output;
    }

    public string Operation { get; }

    public string Id { get; }

    public int ExitCode { get; }

    public string Output { get; }
}
