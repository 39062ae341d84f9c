using Appliance.Orchestrator.Runtime;
using Appliance.Orchestrator.Stacks;
using Appliance.Orchestrator.Stacks.Resolved;

namespace Appliance.Orchestrator.Engine;

public sealed partial class StackEngine
{
    /// <summary>
    /// Waits until <paramref name="dependency"/> meets <paramref name="condition"/>: started; healthy
    /// (its health check, run by exec, succeeds once — tried every
    /// <see cref="EngineOptions.DependencyProbeInterval"/> up to its interval, given up after its
    /// start period plus retries × (interval + timeout)); or exited with 0. A dependency that exits
    /// while a dependent waits for it to be healthy fails the wait at once, with its last log lines.
    /// </summary>
    private async Task WaitForConditionAsync(ResolvedStack stack, ResolvedService dependency, DependencyCondition condition, Task started,
        CancellationToken cancellationToken)
    {
        await started.WaitAsync(cancellationToken);
        string id = ContainerId(stack.Name, dependency.Name);
        DateTime deadline = DateTime.UtcNow + _options.DependencyTimeout;
        switch (condition)
        {
            case DependencyCondition.ServiceStarted:
                return;

            case DependencyCondition.ServiceCompletedSuccessfully:
                while (true)
                {
                    ContainerState state = await _runtime.InspectAsync(id, cancellationToken) ?? throw new ContainerNotFoundException(id);
                    if (state.Status == ContainerStatus.Stopped && (state.ExitCode is not null || DateTime.UtcNow > deadline))
                    {
                        if (state.ExitCode == 0)
                        {
                            return;
                        }
                        throw new InvalidOperationException($"'{dependency.Name}' exited with {state.ExitCode?.ToString() ?? "an unknown code"} instead of 0{await LastLinesAsync(id)}");
                    }
                    if (DateTime.UtcNow > deadline)
                    {
                        throw new TimeoutException($"'{dependency.Name}' was still running after {_options.DependencyTimeout.TotalSeconds:0} s");
                    }
                    await Task.Delay(100, cancellationToken);
                }

            case DependencyCondition.ServiceHealthy:
                ResolvedHealthcheck check = dependency.Healthcheck is { Test.Count: > 0 } c
                    ? c
                    : throw new InvalidOperationException($"'{dependency.Name}' has no health check to wait for; give it a healthcheck or use condition: service_started");
                TimeSpan budget = check.StartPeriod + (check.Interval + check.Timeout) * Math.Max(1, check.Retries);
                if (DateTime.UtcNow + budget < deadline)
                {
                    deadline = DateTime.UtcNow + budget;
                }
                TimeSpan every = check.Interval < _options.DependencyProbeInterval ? check.Interval : _options.DependencyProbeInterval;
                ExecResult? last = null;
                DateTime waitStart = DateTime.UtcNow;
                while (true)
                {
                    ContainerState state = await _runtime.InspectAsync(id, cancellationToken) ?? throw new ContainerNotFoundException(id);
                    if (state.Status == ContainerStatus.Stopped)
                    {
                        throw new InvalidOperationException($"'{dependency.Name}' exited with {state.ExitCode?.ToString() ?? "an unknown code"} before it was healthy{await LastLinesAsync(id)}");
                    }
                    last = await _runtime.ExecAsync(id, check.Test, check.Timeout, cancellationToken);
                    if (last.Succeeded)
                    {
                        return;
                    }
                    if (DateTime.UtcNow > deadline)
                    {
                        string output = (last.Stdout + last.Stderr).Trim();
                        throw new TimeoutException($"'{dependency.Name}' did not become healthy within {(DateTime.UtcNow - waitStart).TotalSeconds:0} s; "
                            + $"its check `{string.Join(' ', check.Test)}` last {(last.TimedOut ? "timed out" : $"exited {last.ExitCode}")}{(output.Length > 0 ? ": " + output : "")}");
                    }
                    await Task.Delay(every, cancellationToken);
                }
        }
    }

    private async Task<string> LastLinesAsync(string id, int count = 5)
    {
        var lines = new List<string>();
        try
        {
            await foreach (LogLine line in _runtime.LogsAsync(id, follow: false, tail: count))
            {
                lines.Add(line.Text);
            }
        }
        catch (RuntimeException)
        {
            return "";
        }
        return lines.Count == 0 ? "" : "; its last output:\n    " + string.Join("\n    ", lines);
    }
}
