namespace Appliance.TestSupport;

/// <summary>Deterministic waiting: poll a condition with a deadline, never sleep hoping for luck.</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> describeFailure,
        CancellationToken cancellationToken = default) =>
        await UntilAsync(() => Task.FromResult(condition()), timeout, describeFailure, cancellationToken);

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describeFailure,
        CancellationToken cancellationToken = default)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        TimeSpan delay = TimeSpan.FromMilliseconds(10);
        while (true)
        {
            if (await condition())
            {
                return;
            }
            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"after {timeout.TotalSeconds:0.#} s: {describeFailure()}");
            }
            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 200));
        }
    }
}
