namespace Appliance.Orchestrator.Networking;

/// <summary>A /proc/sys setting (route_localnet on a bridge) could not be written.</summary>
public sealed class SysctlException : NetworkingException
{
    public SysctlException(string path, string value, Exception inner)
        : base($"writing '{value}' to {path} failed: {inner.Message}", inner)
    {
        Path = path;
        Value = value;
    }

    public string Path { get; }

    public string Value { get; }
}
