using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Health;
using Appliance.Orchestrator.State;

namespace Appliance.Orchestrator.Reconcile;

/// <summary>
/// Compares the desired state (stacks in the state database) with what exists (the runtime) and repairs the
/// difference: running services are left untouched; missing services are recreated (<see cref="IStackRuntime.UpAsync"/>
/// converges) — at daemon start only when a missing service's restart policy starts it at boot (always, unless-stopped:
/// after a reboot a stack of `restart: "no"` services stays down until it is deployed again); exited services are
/// started again by their restart policy (with backoff; at daemon start by Docker's boot rules); stacks that exist with Appliance's prefix but are not in the state are removed (volumes kept).
/// Stacks with an unfinished plan are left to <see cref="Deployer.RecoverAsync"/>. A failure on one stack does not stop the others.
/// </summary>
public sealed class Reconciler(StackRepository stacks, IStackRuntime runtime, IStackModelReader models, EventLog events, TimeProvider? timeProvider = null,
    StackLocks? locks = null)
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Dictionary<(string Stack, string Service), ExitTrack> _exits = [];
    private readonly HashSet<string> _leftDown = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly StackLocks _locks = locks ?? new StackLocks();

    public async Task<ReconcileReport> ReconcileAsync(bool atStart, CancellationToken cancellationToken = default)
    {
        var actions = new List<string>();
        var errors = new List<string>();
        var due = new List<DateTimeOffset>();
        IReadOnlyList<StackRecord> desired = await stacks.ListStacksAsync(cancellationToken);
        HashSet<string> busy = [.. (await stacks.UnfinishedAsync(cancellationToken)).Select(d => d.Stack)];
        HashSet<string> known = [.. desired.Select(s => s.Name)];

        foreach (string orphan in (await runtime.ListStacksAsync(cancellationToken)).Where(s => !known.Contains(s) && !busy.Contains(s)))
        {
            await TryAsync(orphan, errors, async () =>
            {
                using IDisposable held = await _locks.AcquireAsync(orphan, cancellationToken);
                if (await stacks.GetStackAsync(orphan, cancellationToken) is not null || (await stacks.UnfinishedAsync(cancellationToken)).Any(d => d.Stack == orphan))
                {
                    return; // deployed meanwhile
                }
                await runtime.DownAsync(orphan, removeVolumes: false, cancellationToken);
                actions.Add($"{orphan}: removed (not in Appliance's state; volumes kept)");
                await events.PublishAsync(EventKind.Reconcile, orphan, null, "removed an orphan stack (volumes kept)",
                    "it exists on the box with Appliance's prefix but not in Appliance's state", cancellationToken);
            });
        }

        foreach (StackRecord stack in desired.Where(s => s.DesiredState == "running" && !busy.Contains(s.Name)))
        {
            await TryAsync(stack.Name, errors, async () =>
            {
                using IDisposable held = await _locks.AcquireAsync(stack.Name, cancellationToken);
                // Re-read under the lock: a plan may have changed or removed it since the list was taken.
                if (await stacks.GetStackAsync(stack.Name, cancellationToken) is { DesiredState: "running" } current
                    && !(await stacks.UnfinishedAsync(cancellationToken)).Any(d => d.Stack == stack.Name))
                {
                    await ReconcileStackAsync(current, atStart, actions, due, cancellationToken);
                }
            });
        }
        return new ReconcileReport(actions, errors, due.Count > 0 ? due.Min() : null);
    }

    private async Task ReconcileStackAsync(StackRecord stack, bool atStart, List<string> actions, List<DateTimeOffset> due, CancellationToken cancellationToken)
    {
        var deployment = new StackDeployment(stack.Name, stack.Version, stack.StackFile, stack.Parameters);
        StackObservation observed = await runtime.InspectAsync(stack.Name, cancellationToken);
        string[] missing = [.. observed.Services.Where(s => s.State == ContainerState.Missing).Select(s => s.Service)];
        StackModel model = models.Read(deployment);
        if (missing.Length > 0)
        {
            if (atStart && !missing.Any(s => RestartDecider.StartAtBoot(model.Service(s)?.Restart ?? RestartPolicy.No, stoppedByUser: false)))
            {
                // After a reboot nothing of the stack is left; none of its policies asks to start it at boot (Docker's rule).
                lock (_gate)
                {
                    _leftDown.Add(stack.Name);
                }
                actions.Add($"{stack.Name}: left down ({string.Join(", ", missing)} missing; no restart policy starts them at boot)");
                await events.PublishAsync(EventKind.Restart, stack.Name, null, $"not started after the daemon started: {string.Join(", ", missing)}",
                    "missing at start and no service's restart policy is always or unless-stopped; deploy the stack again to start it", cancellationToken);
                return;
            }
            lock (_gate)
            {
                if (_leftDown.Contains(stack.Name))
                {
                    return; // left down at start: the periodic check does not bring it back either
                }
            }
            await runtime.UpAsync(deployment, cancellationToken);
            actions.Add($"{stack.Name}: recreated {string.Join(", ", missing)}");
            await events.PublishAsync(EventKind.Reconcile, stack.Name, null, $"recreated missing services: {string.Join(", ", missing)}",
                atStart ? "found missing when the daemon started" : "found missing by the periodic check", cancellationToken);
            return;
        }
        lock (_gate)
        {
            _leftDown.Remove(stack.Name); // deployed again by the owner: supervised as usual
        }
        DateTimeOffset now = _time.GetUtcNow();
        foreach (ObservedService service in observed.Services)
        {
            (string, string) key = (stack.Name, service.Service);
            if (service.State == ContainerState.Running)
            {
                continue;
            }
            RestartPolicy policy = model.Service(service.Service)?.Restart ?? RestartPolicy.No;
            if (atStart)
            {
                if (RestartDecider.StartAtBoot(policy, stoppedByUser: false))
                {
                    await runtime.RestartServiceAsync(stack.Name, service.Service, cancellationToken);
                    actions.Add($"{stack.Name}/{service.Service}: started ({policy})");
                    await events.PublishAsync(EventKind.Restart, stack.Name, service.Service, "started after the daemon started",
                        $"restart policy {policy}", cancellationToken);
                }
                continue;
            }
            ExitTrack track;
            lock (_gate)
            {
                track = _exits.TryGetValue(key, out ExitTrack? known) && known.StartedAt == service.StartedAt
                    ? known
                    : _exits[key] = new ExitTrack(service.StartedAt, now, _exits.TryGetValue(key, out ExitTrack? before) ? before.InARow : 0);
            }
            TimeSpan ranFor = service.StartedAt is DateTimeOffset started ? track.SeenAt - started : TimeSpan.Zero;
            RestartDecision decision = RestartDecider.Decide(policy, service.ExitCode ?? 0, stoppedByUser: false, track.InARow, ranFor);
            if (!decision.Restart)
            {
                if (!track.Reported)
                {
                    track.Reported = true;
                    await events.PublishAsync(EventKind.Restart, stack.Name, service.Service, "not restarted", decision.Reason, cancellationToken);
                }
                continue;
            }
            if (now < track.SeenAt + decision.Delay)
            {
                due.Add(track.SeenAt + decision.Delay);
                continue;
            }
            await runtime.RestartServiceAsync(stack.Name, service.Service, cancellationToken);
            lock (_gate)
            {
                _exits[key] = new ExitTrack(null, now, (ranFor >= RestartDecider.StableRun ? 0 : track.InARow) + 1);
            }
            actions.Add($"{stack.Name}/{service.Service}: restarted");
            await events.PublishAsync(EventKind.Restart, stack.Name, service.Service, "restarted", decision.Reason, cancellationToken);
        }
    }

    private async Task TryAsync(string stack, List<string> errors, Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            errors.Add($"{stack}: {e.Message}");
            await events.PublishAsync(EventKind.Alert, stack, null, "reconcile failed; retried at the next pass", e.Message);
        }
    }

    private sealed record ExitTrack(DateTimeOffset? StartedAt, DateTimeOffset SeenAt, int InARow)
    {
        public bool Reported { get; set; }
    }
}
