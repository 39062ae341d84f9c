using Appliance.Orchestrator.Events;
using Appliance.Orchestrator.State;

namespace Appliance.Orchestrator.Reconcile;

/// <summary>
/// Deploy, update and remove as persisted plans of small idempotent steps (<see cref="PlanStep"/>). A failed step
/// switches the deployment to its rollback plan (back to the previous deployment, or down with volumes kept if
/// there was none). <see cref="RecoverAsync"/> resumes every unfinished plan after a crash, from the step it
/// stopped at. One plan per stack at a time.
/// </summary>
public sealed class Deployer(StackRepository stacks, IStackRuntime runtime, EventLog events, DeployerOptions? options = null, IHealthGate? healthGate = null,
    StackLocks? locks = null)
{
    private readonly DeployerOptions _options = options ?? new DeployerOptions();
    private readonly StackLocks _locks = locks ?? new StackLocks();

    public async Task<DeployResult> DeployAsync(string stack, string stackFile, IReadOnlyDictionary<string, string> parameters,
        CancellationToken cancellationToken = default)
    {
        using IDisposable gate = await _locks.AcquireAsync(stack, cancellationToken);
        // A deploy starts every service, as `compose up` does: a user's earlier stops of its services are forgotten.
        await stacks.ClearStoppedAsync(stack, null, cancellationToken);
        DeploymentRecord deployment = await stacks.BeginAsync(stack, stackFile, parameters, PlanStep.DeployPlan, cancellationToken: cancellationToken);
        await events.PublishAsync(EventKind.Deploy, stack, null, $"deploying version {deployment.Version}",
            deployment.PreviousVersion is int p ? $"update from version {p}" : "new stack", cancellationToken);
        return await RunAsync(deployment, cancellationToken);
    }

    public async Task<DeployResult> RemoveAsync(string stack, bool removeVolumes, CancellationToken cancellationToken = default)
    {
        using IDisposable gate = await _locks.AcquireAsync(stack, cancellationToken);
        StackRecord current = await stacks.GetStackAsync(stack, cancellationToken)
            ?? throw new StateConflictException($"there is no stack '{stack}'; `appliance stack ls` lists the deployed stacks");
        DeploymentRecord removal = await stacks.BeginAsync(stack, current.StackFile, current.Parameters, PlanStep.RemovePlan(removeVolumes),
            DeploymentStatus.Removing, cancellationToken);
        await events.PublishAsync(EventKind.Deploy, stack, null, "removing the stack",
            removeVolumes ? "requested with --volumes: its volumes are deleted too" : "volumes are kept", cancellationToken);
        return await RunAsync(removal, cancellationToken);
    }

    /// <summary>Resumes every plan a crash (or a failed step) left unfinished: deploys roll forward from their step; rollbacks and
    /// removals finish. The daemon calls it at start and on every reconcile pass.</summary>
    public async Task<IReadOnlyList<DeployResult>> RecoverAsync(CancellationToken cancellationToken = default)
    {
        var results = new List<DeployResult>();
        foreach (DeploymentRecord unfinished in await stacks.UnfinishedAsync(cancellationToken))
        {
            DeploymentRecord deployment = unfinished;
            using IDisposable gate = await _locks.AcquireAsync(deployment.Stack, cancellationToken);
            // Re-read under the lock: the plan may have been finished meanwhile by the request that runs it.
            if (await stacks.GetDeploymentAsync(deployment.Stack, deployment.Version, cancellationToken) is not { } fresh
                || !DeploymentStatus.IsUnfinished(fresh.Status))
            {
                continue;
            }
            deployment = fresh;
            string step = deployment.Step < deployment.Plan.Count ? deployment.Plan[deployment.Step] : "end";
            await events.PublishAsync(EventKind.Reconcile, deployment.Stack, null,
                $"resuming the {deployment.Status} plan of version {deployment.Version} at step '{step}'", "it did not finish: the daemon stopped, or a step failed",
                cancellationToken);
            try
            {
                results.Add(await RunAsync(deployment, cancellationToken));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // RunAsync recorded an alert; the plan stays unfinished and the next pass tries again.
                results.Add(new DeployResult(false, deployment.Stack, deployment.Version, e.Message));
            }
        }
        return results;
    }

    private async Task<DeployResult> RunAsync(DeploymentRecord deployment, CancellationToken cancellationToken)
    {
        for (int i = deployment.Step; i < deployment.Plan.Count; i++)
        {
            string step = deployment.Plan[i];
            if (i != deployment.Step)
            {
                await stacks.AdvanceAsync(deployment.Id, i, cancellationToken);
            }
            if (_options.BeforeStep is { } hook)
            {
                await hook(deployment.Stack, deployment.Version, step, cancellationToken);
            }
            try
            {
                await ExecuteAsync(deployment, step, cancellationToken);
                if (_options.AfterStep is { } after)
                {
                    await after(deployment.Stack, deployment.Version, step, cancellationToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException && deployment.Status == DeploymentStatus.Pending)
            {
                string why = e is DeploymentFailedException ? e.Message : $"deploy of '{deployment.Stack}' failed at step '{step}': {e.Message}";
                await stacks.StartRollbackAsync(deployment.Id, why, PlanStep.RollbackPlan, cancellationToken);
                await events.PublishAsync(EventKind.Rollback, deployment.Stack, null,
                    deployment.PreviousVersion is int p ? $"rolling back to version {p}" : "taking the failed stack down (volumes kept)", why, cancellationToken);
                DeploymentRecord rollback = deployment with { Status = DeploymentStatus.RollingBack, Plan = PlanStep.RollbackPlan, Step = 0, Error = why };
                DeployResult rolledBack = await RunAsync(rollback, cancellationToken);
                return rolledBack with { Succeeded = false, Message = $"{why}; {rolledBack.Message}" };
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await events.PublishAsync(EventKind.Alert, deployment.Stack, null,
                    $"the {deployment.Status} plan of version {deployment.Version} failed at step '{step}'; it is retried when the daemon reconciles",
                    e.Message, cancellationToken);
                throw;
            }
        }
        return deployment.Status switch
        {
            DeploymentStatus.Pending => new DeployResult(true, deployment.Stack, deployment.Version, $"version {deployment.Version} is up"),
            DeploymentStatus.RollingBack => new DeployResult(false, deployment.Stack, deployment.PreviousVersion ?? 0,
                deployment.PreviousVersion is int p ? $"rolled back to version {p}" : "the stack was taken down; its volumes were kept"),
            _ => new DeployResult(true, deployment.Stack, 0, "removed"),
        };
    }

    private async Task ExecuteAsync(DeploymentRecord d, string step, CancellationToken cancellationToken)
    {
        switch (step)
        {
            case PlanStep.Up:
                await runtime.UpAsync(ToDeployment(d), cancellationToken);
                break;
            case PlanStep.Verify:
                await VerifyAsync(ToDeployment(d), cancellationToken);
                break;
            case PlanStep.Commit:
                await stacks.CompleteAsync(d, cancellationToken);
                await events.PublishAsync(EventKind.Deploy, d.Stack, null, $"version {d.Version} is up", null, cancellationToken);
                break;
            case PlanStep.Restore when d.PreviousVersion is int previous:
                DeploymentRecord old = await stacks.GetDeploymentAsync(d.Stack, previous, cancellationToken)
                    ?? throw new StateException($"deployment {previous} of '{d.Stack}' is missing from the state database; cannot roll back to it");
                await runtime.UpAsync(ToDeployment(old), cancellationToken);
                break;
            case PlanStep.Restore:
                await runtime.DownAsync(d.Stack, removeVolumes: false, cancellationToken);
                break;
            case PlanStep.FinishRollback:
                await stacks.CompleteRollbackAsync(d.Id, cancellationToken);
                await events.PublishAsync(EventKind.Rollback, d.Stack, null,
                    d.PreviousVersion is int p ? $"rolled back to version {p}" : "failed stack taken down (volumes kept)", d.Error, cancellationToken);
                break;
            case PlanStep.Down or PlanStep.DownWithVolumes:
                await runtime.DownAsync(d.Stack, step == PlanStep.DownWithVolumes, cancellationToken);
                break;
            case PlanStep.Forget:
                await stacks.CompleteRemovalAsync(d.Id, d.Stack, cancellationToken);
                await events.PublishAsync(EventKind.Deploy, d.Stack, null, "stack removed", null, cancellationToken);
                break;
            default:
                throw new StateException($"deployment {d.Id} of '{d.Stack}' has an unknown plan step '{step}' (written by a newer Appliance?)");
        }
    }

    private async Task VerifyAsync(StackDeployment deployment, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.VerifyTimeout);
        string waiting = "no observation yet";
        try
        {
            while (true)
            {
                StackObservation observed = await runtime.InspectAsync(deployment.Stack, timeout.Token);
                if (!observed.AllRunning)
                {
                    waiting = "not running: " + string.Join(", ", observed.Services.Where(s => s.State != ContainerState.Running)
                        .Select(s => s.ExitCode is int code ? $"{s.Service} (exited {code})" : $"{s.Service} ({s.State.ToString().ToLowerInvariant()})"));
                }
                else if (healthGate is null || (waiting = await healthGate.CheckAsync(deployment, observed, timeout.Token) ?? "") == "")
                {
                    return;
                }
                await Task.Delay(_options.VerifyPoll, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DeploymentFailedException(deployment.Stack, PlanStep.Verify,
                $"not up within {_options.VerifyTimeout.TotalSeconds:0} s; {waiting}");
        }
    }

    private static StackDeployment ToDeployment(DeploymentRecord d) => new(d.Stack, d.Version, d.StackFile, d.Parameters);
}
