using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.Health;
using Appliance.Orchestrator.State;

namespace Appliance.Orchestrator.Reconcile;

/// <summary>
/// Compares the desired state (stacks in the state database) with what exists (the runtime) and repairs the
/// difference: running services are left untouched; missing services are recreated (<see cref="IStackRuntime.UpAsync"/>
/// converges) — at daemon start only when a missing service's restart policy starts it at boot (always, unless-stopped not
/// stopped by a user: after a reboot a stack of `restart: "no"` services stays down until it is deployed again); exited services
/// are started again by their restart policy (with backoff; at daemon start by Docker's boot rules); stacks that exist with
/// Appliance's prefix but are not in the state are removed (volumes kept).
/// A service a user stopped (<see cref="StackRepository.StoppedServicesAsync"/>) is never started again by a pass, except an
/// <c>always</c> one when the daemon starts (Docker's rule; that clears the user's stop). A stack a user stopped whole is looked
/// at only when the daemon starts, for that rule.
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

    /// <param name="only">Look at these stacks only (a container of theirs exited), not orphans; null: a full pass.</param>
    public async Task<ReconcileReport> ReconcileAsync(bool atStart, CancellationToken cancellationToken = default, IReadOnlySet<string>? only = null)
    {
        var actions = new List<string>();
        var errors = new List<string>();
        var due = new List<DateTimeOffset>();
        IReadOnlyList<StackRecord> desired = await stacks.ListStacksAsync(cancellationToken);
        HashSet<string> busy = [.. (await stacks.UnfinishedAsync(cancellationToken)).Select(d => d.Stack)];
        HashSet<string> known = [.. desired.Select(s => s.Name)];

        IEnumerable<string> orphans = only is null ? await runtime.ListStacksAsync(cancellationToken) : [];
        foreach (string orphan in orphans.Where(s => !known.Contains(s) && !busy.Contains(s)))
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

        foreach (StackRecord stack in desired.Where(s => (s.DesiredState == "running" || atStart && s.DesiredState == "stopped")
            && !busy.Contains(s.Name) && (only is null || only.Contains(s.Name))))
        {
            await TryAsync(stack.Name, errors, async () =>
            {
                using IDisposable held = await _locks.AcquireAsync(stack.Name, cancellationToken);
                // Re-read under the lock: a plan may have changed or removed it since the list was taken.
                if (await stacks.GetStackAsync(stack.Name, cancellationToken) is { } current && current.DesiredState == stack.DesiredState
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
        StackModel model = models.Read(deployment);
        IReadOnlySet<string> stoppedByUser = await stacks.StoppedServicesAsync(stack.Name, cancellationToken);
        bool wholeStackStopped = stack.DesiredState == "stopped";
        RestartPolicy PolicyOf(string service) => model.Service(service)?.Restart ?? RestartPolicy.No;
        bool UserStopped(string service) => wholeStackStopped || stoppedByUser.Contains(service);
        // What a user stopped stays down, except an `always` service when the daemon starts (Docker: "restarted when the daemon restarts").
        bool StaysDown(string service) => UserStopped(service) && !(atStart && PolicyOf(service).Kind == RestartPolicyKind.Always);
        StackObservation observed = await runtime.InspectAsync(stack.Name, cancellationToken);
        string[] missing = [.. observed.Services.Where(s => s.State == ContainerState.Missing).Select(s => s.Service)];
        string[] comeBack = [.. model.Services.Select(s => s.Name).Where(s => UserStopped(s) && !StaysDown(s))];
        if (missing.Length > 0)
        {
            if (wholeStackStopped && comeBack.Length == 0)
            {
                return; // stopped by a user and nothing of it comes back (after a reboot, or stopped by an older Appliance that took it down)
            }
            if (atStart && !missing.Any(s => RestartDecider.StartAtBoot(PolicyOf(s), UserStopped(s))))
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
            // What a user stopped is not started when its container exists; one that was missing is created (and started) by
            // `up` and stopped again at once.
            string[] stopAgain = [.. model.Services.Select(s => s.Name).Where(StaysDown)];
            await runtime.UpAsync(deployment, cancellationToken, leaveStopped: stopAgain.ToHashSet(StringComparer.Ordinal));
            foreach (string service in stopAgain)
            {
                await runtime.StopServiceAsync(stack.Name, service, cancellationToken);
            }
            await ComeBackAsync(stack, comeBack, cancellationToken);
            actions.Add($"{stack.Name}: recreated {string.Join(", ", missing)}" + (stopAgain.Length > 0 ? $"; stopped again (by the user): {string.Join(", ", stopAgain)}" : ""));
            await events.PublishAsync(EventKind.Reconcile, stack.Name, null, $"recreated missing services: {string.Join(", ", missing)}",
                (atStart ? "found missing when the daemon started" : "found missing by the periodic check")
                + (stopAgain.Length > 0 ? $"; {string.Join(", ", stopAgain)} stopped again: a user stopped them" : ""), cancellationToken);
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
            RestartPolicy policy = PolicyOf(service.Service);
            bool userStopped = UserStopped(service.Service);
            if (atStart)
            {
                if (RestartDecider.StartAtBoot(policy, userStopped))
                {
                    await runtime.RestartServiceAsync(stack.Name, service.Service, cancellationToken);
                    actions.Add($"{stack.Name}/{service.Service}: started ({policy})");
                    await events.PublishAsync(EventKind.Restart, stack.Name, service.Service, "started after the daemon started",
                        userStopped ? $"restart policy {policy}: it comes back when the daemon starts, even after a user stopped it (Docker's rule; " +
                            "unless-stopped would keep it stopped)" : $"restart policy {policy}", cancellationToken);
                }
                continue;
            }
            if (userStopped)
            {
                continue; // stopped by a user: no restart policy applies until a user starts it
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
        if (atStart)
        {
            await ComeBackAsync(stack, comeBack, cancellationToken);
        }
    }

    /// <summary>`always` services a user had stopped run again after the daemon started: their stop is forgotten, and a stack
    /// stopped whole counts as running again (its other services keep their stop).</summary>
    private async Task ComeBackAsync(StackRecord stack, string[] comeBack, CancellationToken cancellationToken)
    {
        if (comeBack.Length == 0)
        {
            return;
        }
        if (stack.DesiredState == "stopped")
        {
            IReadOnlyList<string> all = [.. models.Read(new StackDeployment(stack.Name, stack.Version, stack.StackFile, stack.Parameters)).Services.Select(s => s.Name)];
            foreach (string other in all.Except(comeBack))
            {
                await stacks.MarkStoppedAsync(stack.Name, other, "stack stop", cancellationToken);
            }
            await stacks.SetDesiredStateAsync(stack.Name, "running", cancellationToken);
        }
        foreach (string service in comeBack)
        {
            await stacks.ClearStoppedAsync(stack.Name, service, cancellationToken);
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
