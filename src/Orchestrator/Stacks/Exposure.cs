namespace Appliance.Orchestrator.Stacks;

/// <summary>Who may reach a published port (<c>x-appliance</c>): the host only, the LAN, or the internet.</summary>
public enum Exposure
{
    HostOnly,
    Lan,
    Internet,
}
