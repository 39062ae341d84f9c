namespace Appliance.Orchestrator.Health;

/// <summary>How a health check probes: a command inside the container (Compose <c>healthcheck.test</c>), or a TCP/HTTP probe (<c>x-appliance</c>).</summary>
public enum ProbeKind
{
    Exec,
    Tcp,
    Http,
}
