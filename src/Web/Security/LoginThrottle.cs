using System.Collections.Concurrent;
using System.Net;
using Appliance.Web.Ui;
using Microsoft.Extensions.Options;

namespace Appliance.Web.Security;

/// <summary>
/// Counts failed sign-ins per account name (whether or not it exists, so a lockout reveals nothing)
/// and per client address, in a sliding window. Past the limit every attempt fails, right password or not.
/// </summary>
public sealed class LoginThrottle(IOptions<UiOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.OrdinalIgnoreCase);

    public bool IsBlocked(string account, IPAddress? address)
        => Count("user:" + account.Trim()) >= options.Value.MaxFailuresPerAccount
            || Count("ip:" + address) >= options.Value.MaxFailuresPerAddress;

    public void RecordFailure(string account, IPAddress? address)
    {
        Add("user:" + account.Trim());
        Add("ip:" + address);
    }

    public void RecordSuccess(string account) => _failures.TryRemove("user:" + account.Trim(), out _);

    private int Count(string key)
    {
        if (!_failures.TryGetValue(key, out Queue<DateTimeOffset>? queue))
        {
            return 0;
        }
        lock (queue)
        {
            Trim(queue);
            return queue.Count;
        }
    }

    private void Add(string key)
    {
        Queue<DateTimeOffset> queue = _failures.GetOrAdd(key, _ => new Queue<DateTimeOffset>());
        lock (queue)
        {
            Trim(queue);
            queue.Enqueue(time.GetUtcNow());
        }
    }

    private void Trim(Queue<DateTimeOffset> queue)
    {
        DateTimeOffset oldest = time.GetUtcNow() - options.Value.LockoutWindow;
        while (queue.Count > 0 && queue.Peek() < oldest)
        {
            queue.Dequeue();
        }
    }
}
