using Appliance.Orchestrator.Networking;
using Appliance.Orchestrator.Stacks.Resolved;

namespace Appliance.Orchestrator.Firewall;

/// <summary>
/// What the engine asks of the firewall: open a stack's bridge subnet and published ports before
/// its containers start (so its services reach each other behind a deny-by-default host), and
/// close them when it goes down.
/// </summary>
public interface IStackFirewall
{
    Task OpenAsync(ResolvedStack stack, StackSubnet subnet, CancellationToken cancellationToken = default);

    Task CloseAsync(string stackName, CancellationToken cancellationToken = default);
}
