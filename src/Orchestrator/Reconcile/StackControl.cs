using Appliance.Orchestrator.Engine;
using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.State;

namespace Appliance.Orchestrator.Reconcile;

/// <summary>
/// A user's stop and start of a service or a whole stack (API, UI, CLI), under the stack's lock. A stop is remembered in the state
/// database (<see cref="StackRepository.MarkStoppedAsync"/>, or the stack's desired state "stopped"), so restart policies, autoheal and
/// reconcile leave it down, across daemon restarts and reboots, until a user starts it; the one exception is Docker's: an
/// <c>always</c> service comes back when the daemon starts (<see cref="Reconciler"/>). Containers are stopped and kept, as
/// <c>docker compose stop</c> does, with each service's stop_signal and stop_grace_period.
/// </summary>
public sealed class StackControl(StackRepository stacks, IStackRuntime runtime, EventLog events, StackLocks locks)
{
    public async Task<ControlResult> StopServiceAsync(string stack, string service, string by, CancellationToken cancellationToken = default)
    {
        using IDisposable held = await locks.AcquireAsync(stack, cancellationToken);
        if (await FindAsync(stack, service, cancellationToken) is { } problem)
        {
            return problem;
        }
        StackRecord current = (await stacks.GetStackAsync(stack, cancellationToken))!;
        await stacks.MarkStoppedAsync(stack, service, by, cancellationToken);
        await runtime.StopServiceAsync(stack, service, cancellationToken);
        await events.PublishAsync(EventKind.Restart, stack, service, "stopped", $"by {by}; it stays stopped until a user starts it", cancellationToken);
        return new ControlResult(ControlOutcome.Done, current.Version, $"'{stack}/{service}' stopped; it stays stopped until you start it");
    }

    /// <summary>Starts a service (forgetting a user's stop); with <paramref name="restart"/> a running one is stopped and started again.</summary>
    public async Task<ControlResult> StartServiceAsync(string stack, string service, string by, bool restart = false, CancellationToken cancellationToken = default)
    {
        using IDisposable held = await locks.AcquireAsync(stack, cancellationToken);
        if (await FindAsync(stack, service, cancellationToken) is { } problem)
        {
            return problem;
        }
        StackRecord current = (await stacks.GetStackAsync(stack, cancellationToken))!;
        if (current.DesiredState == "stopped")
        {
            // The stack was stopped whole: it runs again, with only this service started.
            foreach (ObservedService other in (await runtime.InspectAsync(stack, cancellationToken)).Services.Where(s => s.Service != service))
            {
                await stacks.MarkStoppedAsync(stack, other.Service, "stack stop", cancellationToken);
            }
            await stacks.SetDesiredStateAsync(stack, "running", cancellationToken);
        }
        await stacks.ClearStoppedAsync(stack, service, cancellationToken);
        ObservedService container = (await runtime.InspectAsync(stack, cancellationToken)).Services.First(s => s.Service == service);
        if (container.State == ContainerState.Running && !restart)
        {
            return new ControlResult(ControlOutcome.Done, current.Version, $"'{stack}/{service}' already runs");
        }
        await runtime.RestartServiceAsync(stack, service, cancellationToken);
        string done = restart && container.State == ContainerState.Running ? "restarted" : "started";
        await events.PublishAsync(EventKind.Restart, stack, service, done, "by " + by, cancellationToken);
        return new ControlResult(ControlOutcome.Done, current.Version, $"'{stack}/{service}' {done}");
    }

    /// <summary>Stops every service of the stack (dependents first) and keeps its containers, network and rules.</summary>
    public async Task<ControlResult> StopStackAsync(string stack, string by, CancellationToken cancellationToken = default)
    {
        using IDisposable held = await locks.AcquireAsync(stack, cancellationToken);
        if (await stacks.GetStackAsync(stack, cancellationToken) is not { } current)
        {
            return NoStack(stack);
        }
        await stacks.SetDesiredStateAsync(stack, "stopped", cancellationToken);
        try
        {
            await runtime.StopAsync(stack, cancellationToken);
        }
        catch (StackNotFoundException)
        {
            // nothing of it on the box (taken down before): stopped already
        }
        await events.PublishAsync(EventKind.Deploy, stack, null, "stopped", $"by {by}; volumes kept; it stays stopped until a user starts it", cancellationToken);
        return new ControlResult(ControlOutcome.Done, current.Version, $"'{stack}' stopped; it stays stopped until you start it");
    }

    /// <summary>Forgets every stop of the stack and its services and brings the deployed version up (as `compose up`).</summary>
    public async Task<ControlResult> StartStackAsync(string stack, string by, bool restart = false, CancellationToken cancellationToken = default)
    {
        using IDisposable held = await locks.AcquireAsync(stack, cancellationToken);
        if (await stacks.GetStackAsync(stack, cancellationToken) is not { } current)
        {
            return NoStack(stack);
        }
        await stacks.ClearStoppedAsync(stack, null, cancellationToken);
        await stacks.SetDesiredStateAsync(stack, "running", cancellationToken);
        await runtime.UpAsync(new StackDeployment(current.Name, current.Version, current.StackFile, current.Parameters), cancellationToken);
        await events.PublishAsync(EventKind.Restart, stack, null, restart ? "restarted" : "started", "by " + by, cancellationToken);
        return new ControlResult(ControlOutcome.Done, current.Version, $"'{stack}' {(restart ? "restarted" : "started")}");
    }

    private async Task<ControlResult?> FindAsync(string stack, string service, CancellationToken cancellationToken)
    {
        if (await stacks.GetStackAsync(stack, cancellationToken) is null)
        {
            return NoStack(stack);
        }
        ObservedService? container = (await runtime.InspectAsync(stack, cancellationToken)).Services.FirstOrDefault(s => s.Service == service);
        return container is null || container.State == ContainerState.Missing
            ? new ControlResult(ControlOutcome.NotFound, 0, $"stack '{stack}' has no container of a service '{service}'")
            : null;
    }

    private static ControlResult NoStack(string stack) =>
        new(ControlOutcome.NotFound, 0, $"there is no stack '{stack}'; `appliance stack ls` lists the deployed stacks");
}
