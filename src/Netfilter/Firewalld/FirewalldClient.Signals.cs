using Tmds.DBus.Protocol;

namespace Appliance.Netfilter.Firewalld;

/// <summary>What happened to firewalld: a reload (runtime rebuilt from the permanent config), or its bus name changing hands (started, stopped, restarted).</summary>
public enum FirewalldEventKind
{
    Reloaded,
    Started,
    Stopped,
}

// Signals: Reloaded from firewalld, NameOwnerChanged for its bus name from the bus daemon.
public sealed partial class FirewalldClient
{
    /// <summary>
    /// Calls <paramref name="handler"/> (on a pool thread) after each <c>Reloaded</c> signal and
    /// whenever firewalld's bus name gains or loses its owner. Dispose the result to stop.
    /// </summary>
    public async Task<IAsyncDisposable> WatchAsync(Action<FirewalldEventKind> handler, CancellationToken cancellationToken = default)
    {
        var reloaded = new MatchRule
        {
            Type = MessageType.Signal,
            Sender = BusName,
            Path = ObjectPath,
            Interface = Interface,
            Member = "Reloaded",
        };
        var ownerChanged = new MatchRule
        {
            Type = MessageType.Signal,
            Sender = BusDaemon,
            Path = "/org/freedesktop/DBus",
            Interface = BusDaemon,
            Member = "NameOwnerChanged",
            Arg0 = BusName,
        };
        IDisposable first = await _connection.AddMatchAsync(reloaded, static (_, _) => true,
            (Notification<bool> n) =>
            {
                if (n.HasValue)
                {
                    handler(FirewalldEventKind.Reloaded);
                }
            }, false, ObserverFlags.None).AsTask().WaitAsync(cancellationToken);
        try
        {
            IDisposable second = await _connection.AddMatchAsync(ownerChanged,
                static (m, _) =>
                {
                    Reader reader = m.GetBodyReader();
                    reader.ReadString();
                    reader.ReadString();
                    return reader.ReadString();
                },
                (Notification<string> n) =>
                {
                    if (n.HasValue)
                    {
                        handler(n.Value.Length > 0 ? FirewalldEventKind.Started : FirewalldEventKind.Stopped);
                    }
                }, false, ObserverFlags.None).AsTask().WaitAsync(cancellationToken);
            return new Subscription(first, second);
        }
        catch
        {
            first.Dispose();
            throw;
        }
    }

    private sealed class Subscription(IDisposable first, IDisposable second) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            first.Dispose();
            second.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
