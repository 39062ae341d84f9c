using System.Collections.Concurrent;

namespace Appliance.Netfilter.Linux;

/// <summary>
/// One long-lived thread inside a network namespace that runs queued work in order: for native
/// state bound to the namespace and to one thread (an nft context). Ends on dispose.
/// </summary>
public sealed class NamespaceThread : IAsyncDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public NamespaceThread(NetworkNamespace ns, string purpose)
    {
        Namespace = ns;
        _thread = new Thread(Loop) { IsBackground = true, Name = $"{purpose} in netns {ns.Path}" };
        _thread.Start();
    }

    public NetworkNamespace Namespace { get; }

    private void Loop()
    {
        try
        {
            if (!Namespace.IsCurrent)
            {
                Namespace.Enter();
            }
            _started.SetResult();
        }
        catch (Exception e)
        {
            _started.SetException(e);
            _ended.SetResult();
            return;
        }
        foreach (Action work in _work.GetConsumingEnumerable())
        {
            work();
        }
        _ended.SetResult();
    }

    public async Task<T> InvokeAsync<T>(Func<T> work, CancellationToken cancellationToken = default)
    {
        await _started.Task.WaitAsync(cancellationToken);
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }, cancellationToken);
        return await done.Task.WaitAsync(cancellationToken);
    }

    public Task InvokeAsync(Action work, CancellationToken cancellationToken = default) =>
        InvokeAsync(() => { work(); return true; }, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        _work.CompleteAdding();
        await _ended.Task;
        _work.Dispose();
    }
}
