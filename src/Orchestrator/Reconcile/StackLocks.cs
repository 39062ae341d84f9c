using System.Collections.Concurrent;

namespace Appliance.Orchestrator.Reconcile;

/// <summary>One lock per stack, shared by the <see cref="Deployer"/> and the <see cref="Reconciler"/>: a reconcile pass never acts on a
/// stack while a plan changes it (it would recreate a stack that is being removed).</summary>
public sealed class StackLocks
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    public async Task<IDisposable> AcquireAsync(string stack, CancellationToken cancellationToken = default)
    {
        SemaphoreSlim gate = _locks.GetOrAdd(stack, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        return new Releaser(gate);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
