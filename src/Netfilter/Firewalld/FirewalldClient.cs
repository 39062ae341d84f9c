using Tmds.DBus.Protocol;

namespace Appliance.Netfilter.Firewalld;

/// <summary>
/// Typed calls to firewalld's D-Bus API (<c>org.fedoraproject.FirewallD1</c>, firewalld ≥ 1.0):
/// the runtime interfaces (zone, policy, reload, the <c>Reloaded</c> signal) and the permanent
/// configuration (<c>.config</c>, its zone and policy objects). Every call takes a cancellation
/// token (Tmds.DBus calls do not; ours stop waiting when it fires). Errors come back as
/// <see cref="FirewalldCallException"/> with firewalld's error code.
/// </summary>
public sealed partial class FirewalldClient : IAsyncDisposable
{
    public const string BusName = "org.fedoraproject.FirewallD1";
    public const string ObjectPath = "/org/fedoraproject/FirewallD1";
    public const string ConfigObjectPath = "/org/fedoraproject/FirewallD1/config";
    private const string Interface = "org.fedoraproject.FirewallD1";
    private const string ZoneInterface = Interface + ".zone";
    private const string PolicyInterface = Interface + ".policy";
    private const string ConfigInterface = Interface + ".config";
    private const string ConfigZoneInterface = ConfigInterface + ".zone";
    private const string ConfigPolicyInterface = ConfigInterface + ".policy";
    private const string BusDaemon = "org.freedesktop.DBus";
    private const string FirewalldErrorName = "org.fedoraproject.FirewallD1.Exception";

    private readonly DBusConnection _connection;

    private FirewalldClient(DBusConnection connection, string address)
    {
        _connection = connection;
        Address = address;
    }

    /// <summary>The bus address connected to ("system" for the system bus).</summary>
    public string Address { get; }

    /// <summary>
    /// Connects to the bus at <paramref name="address"/> (e.g. <c>unix:path=/run/dbus/system_bus_socket</c>);
    /// null or "system" means the system bus. Does not require firewalld to be running.
    /// </summary>
    public static async Task<FirewalldClient> ConnectAsync(string? address = null, CancellationToken cancellationToken = default)
    {
        bool system = address is null or "system";
        string shown = system ? "system" : address!;
        DBusConnection connection = system ? new DBusConnection(DBusAddress.System!) : new DBusConnection(address!);
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(cancellationToken);
            return new FirewalldClient(connection, shown);
        }
        catch (Exception e) when (e is DBusConnectionException or IOException or System.Net.Sockets.SocketException or ArgumentException)
        {
            connection.Dispose();
            throw new FirewalldUnavailableException(shown, e.Message, e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>True when some process owns firewalld's bus name right now.</summary>
    public Task<bool> IsRunningAsync(CancellationToken cancellationToken = default) =>
        CallAsync("NameHasOwner", BusDaemon, "/org/freedesktop/DBus", BusDaemon, "NameHasOwner", "s",
            (ref MessageWriter w) => w.WriteString(BusName), static (m, _) => m.GetBodyReader().ReadBool(), cancellationToken);

    public ValueTask DisposeAsync()
    {
        _connection.Dispose();
        return ValueTask.CompletedTask;
    }

    private delegate void BodyWriter(ref MessageWriter writer);

    private Task CallAsync(string what, string path, string @interface, string member, string? signature, BodyWriter? body,
        CancellationToken cancellationToken) =>
        CallAsync(what, BusName, path, @interface, member, signature, body, static (_, _) => true, cancellationToken);

    private Task<T> CallAsync<T>(string what, string path, string @interface, string member, string? signature, BodyWriter? body,
        MessageValueReader<T> reader, CancellationToken cancellationToken) =>
        CallAsync(what, BusName, path, @interface, member, signature, body, reader, cancellationToken);

    private async Task<T> CallAsync<T>(string what, string destination, string path, string @interface, string member,
        string? signature, BodyWriter? body, MessageValueReader<T> reader, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        MessageBuffer message = CreateMessage(destination, path, @interface, member, signature, body);
        try
        {
            return await _connection.CallMethodAsync(message, reader).WaitAsync(cancellationToken);
        }
        catch (DBusErrorReplyException e) when (e.ErrorName == FirewalldErrorName)
        {
            (string code, string detail) = SplitError(e.ErrorMessage);
            throw new FirewalldCallException(what, code, detail, e);
        }
        catch (DBusErrorReplyException e) when (e.ErrorName is "org.freedesktop.DBus.Error.ServiceUnknown" or "org.freedesktop.DBus.Error.NameHasNoOwner")
        {
            throw new FirewalldUnavailableException(Address, $"{what}: {BusName} has no owner on the bus", e);
        }
        catch (DBusErrorReplyException e)
        {
            throw new FirewalldCallException(what, e.ErrorName, e.ErrorMessage, e);
        }
        catch (DBusConnectionClosedException e)
        {
            throw new FirewalldUnavailableException(Address, $"{what}: the bus connection closed ({e.Message})", e);
        }
    }

    private MessageBuffer CreateMessage(string destination, string path, string @interface, string member, string? signature,
        BodyWriter? body)
    {
        // As Tmds.DBus.Generator's output does: CreateMessage also disposes the writer.
        MessageWriter writer = _connection.GetMessageWriter();
        writer.WriteMethodCallHeader(destination, path, @interface, member, signature);
        body?.Invoke(ref writer);
        return writer.CreateMessage();
    }

    /// <summary>"INVALID_ZONE: appliance" -> ("INVALID_ZONE", "appliance").</summary>
    internal static (string Code, string Detail) SplitError(string message)
    {
        int colon = message.IndexOf(':');
        return colon < 0 ? (message.Trim(), "") : (message[..colon].Trim(), message[(colon + 1)..].Trim());
    }
}
