using System.Collections.Immutable;
using Appliance.Netfilter.Backends;
using Appliance.Netfilter.Intent;
using PortKey = Appliance.Orchestrator.Firewall.ExposureFile.PortKey;
using StackNetwork = Appliance.Netfilter.Intent.StackNetwork;

namespace Appliance.Orchestrator.Firewall;

/// <summary>
/// The owner's exposure changes: applied at once with a confirm window, rolled back unconfirmed
/// at its end (by this process; after a restart, by <see cref="RestoreAsync"/> when the deadline
/// passed meanwhile), kept confirmed across restarts and redeploys on top of the stack file.
/// </summary>
public sealed partial class FirewallCoordinator
{
    private sealed record ExposureState(ImmutableDictionary<PortKey, Exposure> Overrides, ImmutableDictionary<string, ExposureChange> Pending)
    {
        public static ExposureState Empty { get; } = new(ImmutableDictionary<PortKey, Exposure>.Empty, ImmutableDictionary<string, ExposureChange>.Empty);

        /// <summary>What a port's exposure is now: the pending change's, else the confirmed choice; null = the stack file's.</summary>
        public Exposure? Effective(PortKey key) =>
            Pending.Values.FirstOrDefault(c => Key(c) == key)?.Next ?? Overrides.GetValueOrDefault(key);
    }

    private readonly string? _exposureFile;
    private readonly Dictionary<string, Timer> _timers = new(StringComparer.Ordinal);
    private ExposureState _exposure = ExposureState.Empty;
    private bool _exposureLoaded;

    public TimeSpan ConfirmWindow { get; }

    /// <summary>Exposure changes applied and waiting for their confirm, soonest deadline first.</summary>
    public IReadOnlyList<ExposureChange> PendingExposureChanges => [.. _exposure.Pending.Values.OrderBy(c => c.Deadline)];

    /// <summary>Raised (on a pool thread) after an unconfirmed exposure change was rolled back at its deadline.</summary>
    public event Action<ExposureChange>? ExposureRolledBack;

    /// <summary>
    /// Changes who may reach one published port of a stack whose rules are applied, at once, pending
    /// its confirm (<see cref="ConfirmExposureAsync"/>) within <see cref="ConfirmWindow"/>. Returns
    /// null when the port already has that exposure. A change of a port already pending keeps the
    /// first deadline and goes back to the last confirmed exposure.
    /// </summary>
    /// <exception cref="InvalidOperationException">The stack has no rules applied, or publishes no such port.</exception>
    public async Task<ExposureChange?> SetExposureAsync(string stack, int hostPort, TransportProtocol protocol, Exposure exposure,
        CancellationToken cancellationToken = default)
    {
        ExposureChange? change = null;
        await ChangeAsync(() =>
        {
            LoadExposure();
            if (!_stacks.TryGetValue(stack, out StackNetwork? network))
            {
                throw new InvalidOperationException($"stack '{stack}' has no firewall rules applied (it is stopped or not deployed); start it, then change the exposure");
            }
            var key = new PortKey(stack, hostPort, protocol);
            List<PublishedPort> ports = [.. network.PublishedPorts.Where(p => p.HostPort == hostPort && p.Protocol == protocol)];
            if (ports.Count == 0)
            {
                throw new InvalidOperationException($"stack '{stack}' publishes no port {hostPort}/{protocol.ToString().ToLowerInvariant()}; " +
                    $"its ports are: {string.Join(", ", network.PublishedPorts.Select(p => $"{p.HostPort}/{p.Protocol.ToString().ToLowerInvariant()}"))}");
            }
            if (ports.All(p => p.Exposure.Equals(exposure)))
            {
                return;
            }
            ExposureChange? earlier = _exposure.Pending.Values.FirstOrDefault(c => Key(c) == key);
            change = earlier is not null
                ? earlier with { Next = exposure }
                : new ExposureChange(Guid.NewGuid().ToString("n")[..12], stack, hostPort, protocol, ports[0].Exposure,
                    _exposure.Overrides.GetValueOrDefault(key), exposure, DateTimeOffset.UtcNow + ConfirmWindow);
            _exposure = _exposure with { Pending = _exposure.Pending.SetItem(change.Id, change) };
            _stacks = _stacks.SetItem(stack, WithExposure(network, hostPort, protocol, exposure));
        }, cancellationToken);
        if (change is not null)
        {
            Arm(change);
        }
        return change;
    }

    /// <summary>Keeps a pending exposure change (also across restarts and redeploys). False when no change has that id (confirmed, rolled back or unknown).</summary>
    public async Task<bool> ConfirmExposureAsync(string id, CancellationToken cancellationToken = default)
    {
        bool found = false;
        await ChangeAsync(() =>
        {
            if (_exposure.Pending.TryGetValue(id, out ExposureChange? change))
            {
                found = true;
                _exposure = new ExposureState(_exposure.Overrides.SetItem(Key(change), change.Next), _exposure.Pending.Remove(id));
            }
        }, cancellationToken);
        if (found)
        {
            Disarm(id);
        }
        return found;
    }

    private async Task RollBackExposureAsync(string id)
    {
        ExposureChange? rolledBack = null;
        try
        {
            await ChangeAsync(() =>
            {
                if (_exposure.Pending.TryGetValue(id, out ExposureChange? change))
                {
                    rolledBack = change;
                    RevertPending(change);
                }
            }, CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The change stays pending (and in the stored file): the next restart rolls it back. Say so.
            rolledBack = null;
            Disarm(id);
            RollBackFailed?.Invoke(id, e);
            return;
        }
        Disarm(id);
        if (rolledBack is not null)
        {
            ExposureRolledBack?.Invoke(rolledBack);
        }
    }

    /// <summary>Raised when rolling back an unconfirmed exposure change failed (the change id and why).</summary>
    public event Action<string, Exception>? RollBackFailed;

    /// <summary>Back to the port's earlier exposure, and to the owner's earlier choice. Call inside a change.</summary>
    private void RevertPending(ExposureChange change)
    {
        PortKey key = Key(change);
        _exposure = new ExposureState(
            change.PreviousOverride is null ? _exposure.Overrides.Remove(key) : _exposure.Overrides.SetItem(key, change.PreviousOverride),
            _exposure.Pending.Remove(change.Id));
        if (_stacks.TryGetValue(change.Stack, out StackNetwork? network))
        {
            _stacks = _stacks.SetItem(change.Stack, WithExposure(network, change.HostPort, change.Protocol, change.Previous));
        }
    }

    /// <summary>After a restart: changes whose deadline passed while no daemon ran go back now; the others wait for the rest of their window.</summary>
    private void RestorePendingExposure()
    {
        foreach (ExposureChange change in _exposure.Pending.Values.Where(c => c.Deadline <= DateTimeOffset.UtcNow).ToList())
        {
            RevertPending(change);
        }
        foreach ((string name, StackNetwork network) in _stacks)
        {
            _stacks = _stacks.SetItem(name, WithOverrides(network));
        }
    }

    private void LoadExposure()
    {
        if (_exposureLoaded)
        {
            return;
        }
        _exposureLoaded = true;
        if (_exposureFile is not null)
        {
            (Dictionary<PortKey, Exposure> overrides, List<ExposureChange> pending) = ExposureFile.Load(_exposureFile);
            // A new instance: ChangeAsync saves the file again (dropping what was rolled back at restore).
            _exposure = new ExposureState(overrides.ToImmutableDictionary(), pending.ToImmutableDictionary(c => c.Id, c => c, StringComparer.Ordinal));
        }
    }

    private StackNetwork WithOverrides(StackNetwork network)
    {
        foreach (PublishedPort port in network.PublishedPorts)
        {
            if (_exposure.Effective(new PortKey(network.Name, port.HostPort, port.Protocol)) is { } exposure)
            {
                network = WithExposure(network, port.HostPort, port.Protocol, exposure);
            }
        }
        return network;
    }

    private static StackNetwork WithExposure(StackNetwork network, int hostPort, TransportProtocol protocol, Exposure exposure) =>
        network with
        {
            PublishedPorts = [.. network.PublishedPorts.Select(p => p.HostPort == hostPort && p.Protocol == protocol ? p with { Exposure = exposure } : p)],
        };

    private static PortKey Key(ExposureChange change) => new(change.Stack, change.HostPort, change.Protocol);

    private void Arm(ExposureChange change)
    {
        lock (_timers)
        {
            if (_timers.ContainsKey(change.Id))
            {
                return;
            }
            TimeSpan due = change.Deadline - DateTimeOffset.UtcNow;
            _timers[change.Id] = new Timer(_ => _ = RollBackExposureAsync(change.Id), null, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
        }
    }

    private void ArmPending()
    {
        foreach (ExposureChange change in _exposure.Pending.Values)
        {
            Arm(change);
        }
    }

    private void Disarm(string id)
    {
        lock (_timers)
        {
            if (_timers.Remove(id, out Timer? timer))
            {
                timer.Dispose();
            }
        }
    }

    private void DisposeExposureTimers()
    {
        lock (_timers)
        {
            foreach (Timer timer in _timers.Values)
            {
                timer.Dispose();
            }
            _timers.Clear();
        }
    }
}
