using Appliance.Netfilter.Errors;

namespace Appliance.Netfilter.Firewalld;

/// <summary>Something went wrong talking to firewalld, or firewalld's setup does not allow what Appliance needs.</summary>
public abstract class FirewalldException : FirewallException
{
    private protected FirewalldException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>
/// firewalld answered a call with an error, e.g. <c>INVALID_ZONE: appliance</c>. <see cref="Code"/>
/// is firewalld's error code (the text before the colon), <see cref="Call"/> the method and its
/// target, e.g. <c>config.getZoneByName('appliance')</c>.
/// </summary>
public sealed class FirewalldCallException : FirewalldException
{
    public FirewalldCallException(string call, string code, string detail, Exception? inner = null, string? fix = null)
        : base($"firewalld {call} failed: {code}{(detail.Length > 0 ? ": " + detail : "")}{(fix is null ? "" : ". " + fix)}", inner)
    {
        Call = call;
        Code = code;
        Detail = detail;
    }

    public string Call { get; }

    /// <summary>firewalld's error code: INVALID_ZONE, ZONE_CONFLICT, NAME_CONFLICT, ALREADY_ENABLED, ...</summary>
    public string Code { get; }

    public string Detail { get; }
}

/// <summary>firewalld is not on the bus (not running, or the bus itself is unreachable).</summary>
public sealed class FirewalldUnavailableException : FirewalldException
{
    public FirewalldUnavailableException(string busAddress, string reason, Exception? inner = null)
        : base($"firewalld is not reachable on the D-Bus at {busAddress}: {reason}. Start it (systemctl start firewalld) " +
               "or choose another backend with --firewall-backend nftables|none.", inner)
    {
        BusAddress = busAddress;
    }

    public string BusAddress { get; }
}

/// <summary>firewalld is configured in a way Appliance cannot work with (e.g. StrictForwardPorts=yes); says how to fix it.</summary>
public sealed class FirewalldConfigurationException : FirewalldException
{
    public FirewalldConfigurationException(string setting, string message) : base(message) => Setting = setting;

    /// <summary>The firewalld.conf key at fault, e.g. StrictForwardPorts.</summary>
    public string Setting { get; }
}
