using System.Net;
using Appliance.Netfilter.Backends;
using Appliance.Netfilter.Errors;
using Appliance.Netfilter.Firewalld;
using Appliance.Netfilter.Inspection;
using Appliance.Netfilter.Intent;
using Appliance.Netfilter.Linux;
using Appliance.Netfilter.Nftables;
using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Firewall;
using Appliance.Web.Ui.Backend;
using UiExposure = Appliance.Web.Ui.Backend.Exposure;
using UiFlowExplanation = Appliance.Web.Ui.Backend.FlowExplanation;
using UiFlowQuery = Appliance.Web.Ui.Backend.FlowQuery;
using IntentExposure = Appliance.Netfilter.Intent.Exposure;
using NetworkManager = Appliance.Orchestrator.Networking.NetworkManager;
using NetlinkException = Appliance.Orchestrator.Networking.NetlinkException;

namespace Appliance.Web.Hosting;

/// <summary>
/// The firewall on the daemon's <see cref="FirewallCoordinator"/>: the intent in plain words, the live table and other
/// tables in the way read from the kernel (in the daemon's namespace), explain against the live ruleset (under firewalld:
/// the zone or policy of firewalld that decides), the owner's
/// exposure changes with their confirm window, and the network settings.
/// </summary>
public sealed partial class DaemonBackend
{
    /// <summary>The id of a pending change of the owner's own access (settings): the backend's confirm window.</summary>
    public const string SettingsChangeId = "settings";

    private static readonly TimeSpan LiveTtl = TimeSpan.FromSeconds(1);

    private (DateTimeOffset At, FirewallApplyResult? Apply, IReadOnlyList<LivePublishedPort> Ports)? _live;

    private FirewallCoordinator? Firewall => services.GetService<FirewallCoordinator>();

    /// <summary>The nftables table whose live state is read: Appliance's own (also under firewalld); null for "none".</summary>
    private NftablesBackend? LiveTable => Firewall?.Backend switch
    {
        NftablesBackend table => table,
        FirewalldBackend firewalld => firewalld.Table,
        _ => null,
    };

    private bool Unmanaged => Firewall is null || Firewall.BackendName == FirewallBackends.None;

    private string UnmanagedWhy => Firewall is null
        ? "No firewall is connected to this daemon (it runs without the container engine)."
        : "This daemon runs with --firewall-backend none: Appliance writes no firewall rules, so your own firewall decides who reaches what.";

    public async Task<FirewallView> GetFirewallAsync(CancellationToken cancellationToken = default)
    {
        if (Firewall is not { } firewall)
        {
            return new FirewallView("none", [UnmanagedWhy], "", [], []);
        }
        List<string> intent = Unmanaged ? [UnmanagedWhy, .. Describe(firewall.Intent)] : Describe(firewall.Intent);
        string live = "";
        var findings = new List<FirewallFinding>();
        if (LiveTable is { } table)
        {
            try
            {
                live = await table.ListOwnTableTextAsync(cancellationToken) ?? "";
                // Under firewalld its own table is no foreign blocker: Appliance's zone and policies get its traffic through.
                bool underFirewalld = firewall.Backend is FirewalldBackend;
                findings.AddRange((await table.FindForeignBlockersAsync(cancellationToken))
                    .Where(b => !(underFirewalld && b.Family == "inet" && b.Table == "firewalld")).Select(b => new FirewallFinding($"{b.Family} {b.Table}", b.Chain,
                    b.Handle is { } handle ? $"rule handle {handle}" : $"hook {b.Hook}, priority {b.Priority}, policy drop", b.Problem, b.Fix)));
            }
            catch (Exception e) when (e is FirewallException or NamespaceException)
            {
                intent.Add($"The live ruleset could not be read: {e.Message}");
            }
        }
        return new FirewallView(firewall.BackendName, intent, live, findings, Pending(firewall));
    }

    public Task<IReadOnlyList<PendingChange>> PendingChangesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<PendingChange>>(Firewall is { } firewall ? Pending(firewall) : []);

    /// <summary>
    /// The coordinator's pending exposure changes and the table's pending settings change (its guard's own state, so it
    /// ends with the confirm or the rollback, not with the next apply's result), soonest deadline first.
    /// </summary>
    private List<PendingChange> Pending(FirewallCoordinator firewall)
    {
        List<PendingChange> pending = [.. firewall.PendingExposureChanges.Select(ToView)];
        if (LiveTable?.PendingUntil is { } until && until > DateTimeOffset.UtcNow)
        {
            pending.Add(new PendingChange(SettingsChangeId, "network settings that narrow who may reach the admin UI or SSH", until));
        }
        return [.. pending.OrderBy(c => c.Deadline)];
    }

    private static PendingChange ToView(ExposureChange change) => new(change.Id, change.Description, change.Deadline)
    {
        Port = new PendingPortChange(change.Stack, change.HostPort, Proto(change.Protocol), ToView(change.Previous), ToView(change.Next)),
    };

    /// <summary>An exposure as the UI's three choices (the owner's own source list counts as LAN).</summary>
    private static UiExposure ToView(IntentExposure exposure) => exposure.Kind switch
    {
        ExposureKind.HostOnly => UiExposure.HostOnly,
        ExposureKind.Internet => UiExposure.Internet,
        _ => UiExposure.Lan,
    };

    /// <summary>The intent in the words of the UI: one line per fact.</summary>
    private static List<string> Describe(FirewallIntent intent)
    {
        string lan = string.Join(", ", intent.LanSubnets);
        var lines = new List<string>
        {
            intent.DropUnmatchedInput
                ? "Deny by default: a connection to this box or to a stack is dropped unless a line below allows it."
                : "Connections to this box that no line below allows are left to the host's own firewall (firewalld).",
            $"The LAN is {lan}.",
        };
        foreach (HostService service in intent.HostServices)
        {
            lines.Add($"{(service.Name == HostService.AdminUiName ? "The admin UI" : service.Name == HostService.SshName ? "SSH" : service.Name)} " +
                $"(port {service.Port}/{Proto(service.Protocol)}) can be reached from {Who(service.AllowedFrom, lan)}.");
        }
        foreach (StackNetwork stack in intent.Stacks)
        {
            lines.Add($"Stack {stack.Name}: its containers ({stack.Subnet} on {stack.Bridge}) reach each other; other stacks cannot reach them; " +
                (stack.EgressAllowed ? "they may reach beyond the box." : "they may not reach beyond the box."));
            foreach (PublishedPort port in stack.PublishedPorts)
            {
                lines.Add($"Stack {stack.Name}: port {(port.HostAddress is null ? "" : port.HostAddress + ":")}{port.HostPort}/{Proto(port.Protocol)} " +
                    $"leads to {port.ContainerAddress}:{port.ContainerPort} and can be reached from {(port.IsLoopbackOnly ? "this box only (published on loopback)" : Who(port.Exposure, lan))}.");
            }
        }
        if (intent.Stacks.Count == 0)
        {
            lines.Add("No stack is running, so nothing is published.");
        }
        return lines;
    }

    private static string Who(IntentExposure exposure, string lan) => exposure.Kind switch
    {
        ExposureKind.HostOnly => "this box only",
        ExposureKind.Lan => $"the LAN ({lan})",
        ExposureKind.Internet => "anywhere (internet)",
        _ => string.Join(", ", exposure.Sources),
    };

    private static string Proto(TransportProtocol protocol) => protocol == TransportProtocol.Tcp ? "tcp" : "udp";

    public async Task<UiFlowExplanation> ExplainAsync(UiFlowQuery flow, CancellationToken cancellationToken = default)
    {
        if (Unmanaged || LiveTable is not { } table)
        {
            return new UiFlowExplanation(false, $"Cannot explain: {UnmanagedWhy}", []);
        }
        if (!IPAddress.TryParse(flow.Source.Trim(), out IPAddress? from) || !IPAddress.TryParse(flow.Destination.Trim(), out IPAddress? to))
        {
            return new UiFlowExplanation(false, "Enter both addresses: the device that connects (e.g. 192.168.1.20) and the address it connects to " +
                "(this box's LAN address, or a container address such as 10.88.1.2).", []);
        }
        if (flow.Port is < 1 or > 65535 || flow.Protocol is not ("tcp" or "udp"))
        {
            return new UiFlowExplanation(false, "The port must be between 1 and 65535 and the protocol tcp or udp.", []);
        }
        var query = new Netfilter.Inspection.FlowQuery(from, to, flow.Port, flow.Protocol == "udp" ? TransportProtocol.Udp : TransportProtocol.Tcp);
        try
        {
            if (Firewall?.Backend is FirewalldBackend firewalld)
            {
                // firewalld owns the host policy: its zone or policy decides, and Appliance's zone and policies say which.
                IReadOnlyList<IPAddress> hostAddresses = services.GetService<NetworkManager>() is { } network
                    ? await network.GetHostAddressesAsync(cancellationToken) : [];
                Netfilter.Inspection.FlowExplanation verdict = await firewalld.ExplainAsync(query, hostAddresses, cancellationToken);
                return new UiFlowExplanation(verdict.Passes, verdict.Decision, [$"Decided by firewalld: {verdict.Chain}.", .. verdict.Notes]);
            }
            Netfilter.Inspection.FlowExplanation answer = await table.ExplainAsync(query, cancellationToken);
            string decidedBy = $"Decided by table {answer.Table}, chain {answer.Chain}, {(answer.Handle is { } h ? $"rule handle {h}" : "its policy")}.";
            return new UiFlowExplanation(answer.Passes, answer.Decision, [decidedBy, .. answer.Notes]);
        }
        catch (Exception e) when (e is FirewallException or NamespaceException or NetlinkException)
        {
            return new UiFlowExplanation(false, $"The live ruleset could not be read: {e.Message}", []);
        }
    }

    public async Task<OperationResult> SetExposureAsync(string stack, string service, int hostPort, string protocol, UiExposure exposure,
        CancellationToken cancellationToken = default)
    {
        if (Unmanaged || Firewall is not { } firewall)
        {
            return OperationResult.Fail($"{UnmanagedWhy} Change the exposure in your own firewall, or start the daemon with a firewall backend.");
        }
        IntentExposure next = exposure switch
        {
            UiExposure.HostOnly => IntentExposure.HostOnly,
            UiExposure.Internet => IntentExposure.Internet,
            _ => IntentExposure.Lan,
        };
        try
        {
            ExposureChange? change = await firewall.SetExposureAsync(stack, hostPort, protocol == "udp" ? TransportProtocol.Udp : TransportProtocol.Tcp, next, cancellationToken);
            _live = null;
            if (change is null)
            {
                return OperationResult.Ok($"Port {hostPort}/{protocol} of '{stack}' already has that exposure.");
            }
            await _events.PublishAsync("firewall", stack, service, $"exposure changed: {change.Description}",
                $"pending: confirm by {change.Deadline:HH:mm:ss} UTC or it goes back", cancellationToken);
            return OperationResult.Ok($"Applied: {change.Description}. Confirm within {(int)firewall.ConfirmWindow.TotalSeconds} s or it goes back by itself.",
                ToView(change));
        }
        catch (Exception e) when (e is InvalidOperationException or FirewallException or NamespaceException)
        {
            return OperationResult.Fail(e.Message);
        }
    }

    public async Task<OperationResult> ConfirmChangeAsync(string changeId, CancellationToken cancellationToken = default)
    {
        if (Firewall is not { } firewall)
        {
            return OperationResult.Fail($"No pending change '{changeId}'.");
        }
        if (changeId == SettingsChangeId)
        {
            await firewall.ConfirmAsync(cancellationToken);
            await _events.PublishAsync("firewall", null, null, "network settings confirmed", cancellationToken: cancellationToken);
            return OperationResult.Ok("Confirmed: the new network settings stay.");
        }
        ExposureChange? change = firewall.PendingExposureChanges.FirstOrDefault(c => c.Id == changeId);
        if (change is null || !await firewall.ConfirmExposureAsync(changeId, cancellationToken))
        {
            return OperationResult.Fail($"No pending change '{changeId}': it was confirmed already, or its window ended and it was rolled back.");
        }
        await _events.PublishAsync("firewall", change.Stack, null, $"exposure confirmed: {change.Description}", cancellationToken: cancellationToken);
        return OperationResult.Ok($"Confirmed: {change.Description}. It stays, also after a restart or redeploy.");
    }

    public async Task<NetworkSettings> GetSettingsAsync(CancellationToken cancellationToken = default)
    {
        if (Firewall is not { } firewall)
        {
            return await _rest.GetSettingsAsync(cancellationToken);
        }
        FirewallIntent intent = firewall.Intent;
        HostService? admin = intent.HostServices.FirstOrDefault(s => s.Name == HostService.AdminUiName);
        return new NetworkSettings([.. intent.LanSubnets.Select(n => n.ToString())],
            admin?.AllowedFrom.Kind == ExposureKind.Sources ? [.. admin.AllowedFrom.Sources.Select(n => n.ToString())] : [], firewall.BackendName);
    }

    public async Task<OperationResult> SaveSettingsAsync(NetworkSettings settings, CancellationToken cancellationToken = default)
    {
        if (Firewall is not { } firewall)
        {
            return await _rest.SaveSettingsAsync(settings, cancellationToken);
        }
        if (SettingsValidator.Validate(settings) is { } error)
        {
            return OperationResult.Fail(error);
        }
        if (settings.LanSubnets.Count == 0)
        {
            return OperationResult.Fail("LAN subnets: enter at least one, e.g. 192.168.1.0/24; exposure \"LAN\" means these.");
        }
        try
        {
            FirewallApplyResult result = await firewall.SetSettingsAsync(FirewallServices.WithNetworkSettings(firewall.Intent, settings), cancellationToken);
            await _rest.SaveSettingsAsync(settings with { FirewallBackend = firewall.BackendName }, cancellationToken);
            _live = null;
            await _events.PublishAsync("firewall", null, null, "network settings changed", string.Join("; ", result.Warnings) is { Length: > 0 } w ? w : null,
                cancellationToken: cancellationToken);
            string backendNote = settings.FirewallBackend == firewall.BackendName ? ""
                : $" The firewall backend is chosen when the daemon starts (--firewall-backend {settings.FirewallBackend}); this one runs with {firewall.BackendName}.";
            return result.PendingUntil is { } until
                ? OperationResult.Ok($"Applied. It narrows who may reach the admin UI or SSH: confirm on the Firewall page within {(int)(until - DateTimeOffset.UtcNow).TotalSeconds} s or it goes back by itself.{backendNote}",
                    new PendingChange(SettingsChangeId, "network settings that narrow who may reach the admin UI or SSH", until))
                : OperationResult.Ok($"Applied to the firewall and saved.{backendNote}");
        }
        catch (Exception e) when (e is FirewallException or NamespaceException or InvalidOperationException)
        {
            return OperationResult.Fail($"The firewall refused the settings, nothing changed: {e.Message}");
        }
    }

    /// <summary>Who can reach a published port, from the live ruleset (cached 1 s); null when the port is not in the kernel's table.</summary>
    private async Task<(UiExposure Exposure, IReadOnlyList<string> Sources, string? Note)> ReachAsync(string stack, Orchestrator.Stacks.Resolved.PublishedPort port,
        CancellationToken cancellationToken)
    {
        UiExposure configured = (UiExposure)(int)port.Exposure;
        if (Unmanaged || LiveTable is not { } table)
        {
            return (configured, port.Sources, "not enforced: Appliance manages no firewall here");
        }
        IReadOnlyList<LivePublishedPort> live;
        try
        {
            // Read again after any apply (a rollback at a confirm deadline too), else at most once a second.
            FirewallApplyResult? apply = Firewall?.LastResult;
            if (_live is { } cached && DateTimeOffset.UtcNow - cached.At < LiveTtl && ReferenceEquals(cached.Apply, apply))
            {
                live = cached.Ports;
            }
            else
            {
                live = await table.ListPublishedPortsAsync(cancellationToken);
                _live = (DateTimeOffset.UtcNow, apply, live);
            }
        }
        catch (Exception e) when (e is FirewallException or NamespaceException)
        {
            return (configured, port.Sources, $"the live ruleset could not be read: {e.Message}");
        }
        TransportProtocol protocol = port.Protocol == Orchestrator.Stacks.PortProtocol.Udp ? TransportProtocol.Udp : TransportProtocol.Tcp;
        IPAddress? hostAddress = port.HostIp is null ? null : IPAddress.Parse(port.HostIp.Trim('[', ']'));
        LivePublishedPort? found = live.FirstOrDefault(p => p.HostPort == port.HostPort && p.Protocol == protocol && Equals(p.HostAddress, hostAddress));
        if (found is null)
        {
            return (UiExposure.HostOnly, [], $"not in the live ruleset: nobody can reach it through the firewall (is '{stack}' running?)");
        }
        return found.Reach switch
        {
            ExposureKind.Internet => (UiExposure.Internet, found.Sources, null),
            ExposureKind.Lan or ExposureKind.Sources => (UiExposure.Lan, found.Sources, null),
            _ => (UiExposure.HostOnly, [], null),
        };
    }
}
